// Parameter Store names as a tree: "/app/db/password" sits under "app" then "db". Names without a leading
// slash are top-level leaves, as SSM treats them.

export interface TreeNode {
  readonly name: string;
  /** The path of this node ("/app/db"); for a parameter, its full name. */
  readonly path: string;
  readonly children: TreeNode[];
  /** Set when a parameter has exactly this name. */
  parameter?: { name: string; type: string };
}

export function buildTree(parameters: readonly { Name: string; Type: string }[]): TreeNode {
  const root: TreeNode = { name: '/', path: '/', children: [] };
  for (const p of parameters) {
    const rooted = p.Name.startsWith('/');
    const parts = p.Name.split('/').filter((s) => s !== '');
    let node = root;
    let path = '';
    parts.forEach((part, i) => {
      path = rooted || i > 0 ? `${path}/${part}` : part;
      let child = node.children.find((c) => c.name === part && c.path === path);
      if (!child) {
        child = { name: part, path, children: [] };
        node.children.push(child);
      }
      node = child;
    });
    node.parameter = { name: p.Name, type: p.Type };
  }
  const sort = (n: TreeNode) => {
    n.children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    n.children.forEach(sort);
  };
  sort(root);
  return root;
}

/** Every parameter under node (itself included), in tree order. */
export function countParameters(node: TreeNode): number {
  return (node.parameter ? 1 : 0) + node.children.reduce((n, c) => n + countParameters(c), 0);
}
