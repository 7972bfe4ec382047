import { useState } from 'preact/hooks';
import { date } from '../aws.ts';
import { buildTree, countParameters, type TreeNode } from '../tree.ts';
import type { Parameter, ParameterMetadata } from '../types.ts';
import { Badge, ErrorBox, Loading, Time, useAction, useAsync, useFocusHeading, useSession } from './common.tsx';

const MaxListed = 5000;

function Node({ node, selected, onSelect, depth }: { node: TreeNode; selected: string | null; onSelect: (name: string) => void; depth: number }) {
  const [open, setOpen] = useState(depth < 1);
  const leaf = node.parameter;
  return (
    <li>
      {leaf ? (
        <button type="button" class="leaf" aria-pressed={selected === leaf.name ? 'true' : 'false'} onClick={() => onSelect(leaf.name)}>
          {node.name}
        </button>
      ) : null}
      {leaf && leaf.type === 'SecureString' ? (
        <>
          {' '}
          <Badge kind="warn">SecureString</Badge>
        </>
      ) : null}
      {node.children.length > 0 ? (
        <>
          <button type="button" class="node" aria-expanded={open ? 'true' : 'false'} onClick={() => setOpen(!open)}>
            {open ? '▾' : '▸'} {leaf ? '' : node.name}
            <span class="visually-hidden"> ({countParameters(node)} parameters)</span>
          </button>
          {open ? (
            <ul>
              {node.children.map((c) => (
                <Node key={c.path} node={c} selected={selected} onSelect={onSelect} depth={depth + 1} />
              ))}
            </ul>
          ) : null}
        </>
      ) : null}
    </li>
  );
}

function Details({ meta }: { meta: ParameterMetadata }) {
  const { client } = useSession();
  const [value, setValue] = useState<Parameter | null>(null);
  const action = useAction();
  const secure = meta.Type === 'SecureString';
  const reveal = () =>
    action.run(async () => {
      setValue((await client.json<{ Parameter: Parameter }>('ssm', 'GetParameter', { Name: meta.Name, WithDecryption: secure })).Parameter);
    });
  return (
    <div class="card" data-testid="parameter-details">
      <h2>{meta.Name}</h2>
      <dl class="meta">
        <dt>Type</dt>
        <dd>{meta.Type}</dd>
        <dt>Version</dt>
        <dd>{meta.Version ?? '—'}</dd>
        <dt>Last modified</dt>
        <dd>
          <Time value={date(meta.LastModifiedDate)} />
          {meta.LastModifiedUser ? <span class="muted"> by {meta.LastModifiedUser}</span> : null}
        </dd>
        <dt>Description</dt>
        <dd>{meta.Description ?? <span class="muted">none</span>}</dd>
      </dl>
      <div class="actions">
        {value ? (
          <button type="button" onClick={() => setValue(null)}>
            Hide value
          </button>
        ) : (
          <button type="button" onClick={reveal} disabled={action.busy}>
            {secure ? 'Reveal value' : 'Show value'}
          </button>
        )}
      </div>
      <ErrorBox error={action.error} context="The value was not read." />
      {value ? (
        <pre class={secure ? 'secret-value' : ''} data-testid="parameter-value" aria-label="Parameter value" tabIndex={0}>
          {value.Value}
        </pre>
      ) : null}
    </div>
  );
}

export function ParametersPage() {
  const { client } = useSession();
  const heading = useFocusHeading('parameters');
  const [selected, setSelected] = useState<string | null>(null);
  const list = useAsync(async () => {
    const all: ParameterMetadata[] = [];
    let token: string | undefined;
    do {
      const page = await client.json<{ Parameters: ParameterMetadata[]; NextToken?: string }>('ssm', 'DescribeParameters', { MaxResults: 50, ...(token ? { NextToken: token } : {}) });
      all.push(...page.Parameters);
      token = page.NextToken;
    } while (token && all.length < MaxListed);
    return { all, more: !!token };
  }, []);
  const tree = list.data ? buildTree(list.data.all) : null;
  const meta = list.data?.all.find((p) => p.Name === selected);
  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Parameters
      </h1>
      <p class="muted">Parameter Store by path. Values are read only when you ask; SecureString values are decrypted only on “Reveal value”.</p>
      <ErrorBox error={list.error} context="The parameters could not be listed." />
      {list.loading && !list.data ? <Loading what="parameters" /> : null}
      {tree ? (
        <div class="split">
          <nav class="tree card" aria-label="Parameter hierarchy">
            <p class="muted">
              {list.data!.all.length} parameters{list.data!.more ? ` (the first ${MaxListed})` : ''}.
            </p>
            <ul>
              {tree.children.map((c) => (
                <Node key={c.path} node={c} selected={selected} onSelect={setSelected} depth={0} />
              ))}
            </ul>
          </nav>
          <div>{meta ? <Details key={meta.Name} meta={meta} /> : <p class="muted">Choose a parameter in the tree.</p>}</div>
        </div>
      ) : null}
    </>
  );
}
