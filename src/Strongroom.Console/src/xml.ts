// Parses the XML answers of IAM and STS. The page enforces Trusted Types (require-trusted-types-for 'script'),
// under which DOMParser takes only TrustedHTML; the one policy the server's CSP allows, "strongroom-xml", exists
// for this and is used for nothing else. The parsed document is only read, never put into the page.
import type { XmlElementLike } from './aws.ts';

interface TrustedTypePolicyLike {
  createHTML(input: string): unknown;
}

let policy: TrustedTypePolicyLike | null | undefined;

function trusted(text: string): string {
  if (policy === undefined) {
    const factory = (globalThis as { trustedTypes?: { createPolicy(name: string, rules: { createHTML(s: string): string }): TrustedTypePolicyLike } }).trustedTypes;
    policy = factory ? factory.createPolicy('strongroom-xml', { createHTML: (s) => s }) : null;
  }
  return (policy ? policy.createHTML(text) : text) as string;
}

export function parseXml(text: string): XmlElementLike {
  const doc = new DOMParser().parseFromString(trusted(text), 'application/xml');
  if (doc.getElementsByTagName('parsererror').length > 0) {
    throw new Error('not XML');
  }
  return doc;
}

/** The text of every element named <name> under root. */
export function texts(root: XmlElementLike, name: string): string[] {
  return Array.from(root.getElementsByTagName(name), (e) => e.textContent ?? '');
}

export function text(root: XmlElementLike, name: string): string | undefined {
  const found = root.getElementsByTagName(name);
  return found.length > 0 ? (found[0]!.textContent ?? '') : undefined;
}
