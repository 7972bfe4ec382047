// AWS Signature Version 4 for the browser (and Node.js >= 20): the canonical request, the string to sign
// and the signing key exactly as /work/shared/api/sigv4.md (§3-§5) and the server's verifier define them,
// computed with WebCrypto's SHA-256 and HMAC-SHA256. Nothing here keeps a key: the caller passes the
// credentials for each request and they are dropped when the call returns.

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** One HTTP request as it will be sent. Header names are matched case-insensitively. */
export interface SignableRequest {
  readonly method: string;
  /** The Host header exactly as the browser sends it (location.host: no port for 80/443). */
  readonly host: string;
  readonly path: string;
  /** Raw query string without '?', or empty. */
  readonly query?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

const encoder = new TextEncoder();

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) {
    // WebCrypto's subtle API exists only in secure contexts (HTTPS, or http://localhost / 127.0.0.1).
    throw new Error('WebCrypto is not available: open the console over HTTPS or on a loopback address.');
  }
  return s;
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = '';
  for (const b of view) {
    out += b.toString(16).padStart(2, '0');
  }
  return out;
}

function bytesOf(data: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  // WebCrypto wants a plain ArrayBuffer-backed view.
  return new Uint8Array(bytes);
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return toHex(await subtle().digest('SHA-256', bytesOf(data)));
}

export async function hmac(key: Uint8Array, data: string): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', bytesOf(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', k, bytesOf(data)));
}

/** kSigning = HMAC chain over ("AWS4" + secret, date, region, service, "aws4_request"). */
export async function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Promise<Uint8Array> {
  const kDate = await hmac(encoder.encode('AWS4' + secretAccessKey), date);
  const kRegion = await hmac(kDate, region);
  const kService = await hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

/** RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX upper case. */
export function uriEncode(value: string, keepSlash = false): string {
  let out = '';
  for (const byte of encoder.encode(value)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) {
      out += c;
    } else {
      out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
    }
  }
  return out;
}

/** The canonical URI: normalized path, each segment encoded twice (every service but S3). */
export function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      segments.pop();
      continue;
    }
    segments.push(uriEncode(uriEncode(decodeURIComponent(segment))));
  }
  const joined = '/' + segments.join('/');
  return path.endsWith('/') && segments.length > 0 ? joined + '/' : joined;
}

export function canonicalQuery(query: string | undefined): string {
  if (!query) return '';
  const pairs = query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const name = decodeURIComponent((eq < 0 ? p : p.slice(0, eq)).replace(/\+/g, ' '));
      const value = eq < 0 ? '' : decodeURIComponent(p.slice(eq + 1).replace(/\+/g, ' '));
      return [uriEncode(name), uriEncode(value)] as const;
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

/** Header values trimmed with inner runs of spaces collapsed (botocore: ' '.join(value.split())). */
function canonicalValue(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

/** Lower-cased header map including host; the names to sign, sorted. */
function signedHeaderMap(request: SignableRequest): Map<string, string> {
  const map = new Map<string, string>();
  map.set('host', request.host);
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    const existing = map.get(lower);
    map.set(lower, existing === undefined ? canonicalValue(value) : existing + ',' + canonicalValue(value));
  }
  return new Map([...map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

export async function canonicalRequest(request: SignableRequest): Promise<{ text: string; signedHeaders: string }> {
  const headers = signedHeaderMap(request);
  const signedHeaders = [...headers.keys()].join(';');
  const lines = [...headers.entries()].map(([n, v]) => `${n}:${v}\n`).join('');
  const text = [
    request.method.toUpperCase(),
    canonicalUri(request.path),
    canonicalQuery(request.query),
    lines,
    signedHeaders,
    await sha256Hex(request.body),
  ].join('\n');
  return { text, signedHeaders };
}

export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export interface Signature {
  readonly amzDate: string;
  readonly scope: string;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
  readonly signature: string;
  readonly authorization: string;
  /** The headers to add to the request (x-amz-date, x-amz-security-token when present, authorization). */
  readonly headers: Record<string, string>;
}

/**
 * Signs a request. Every header in request.headers is signed, and so are host, x-amz-date and (with
 * temporary credentials) x-amz-security-token, which this adds.
 */
export async function sign(request: SignableRequest, credentials: Credentials, region: string, service: string, now: Date): Promise<Signature> {
  const date = amzDate(now);
  const day = date.slice(0, 8);
  const extra: Record<string, string> = { 'x-amz-date': date };
  if (credentials.sessionToken) {
    extra['x-amz-security-token'] = credentials.sessionToken;
  }
  const withDate: SignableRequest = { ...request, headers: { ...request.headers, ...extra } };
  const canonical = await canonicalRequest(withDate);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, await sha256Hex(canonical.text)].join('\n');
  const key = await deriveSigningKey(credentials.secretAccessKey, day, region, service);
  const signature = toHex(await hmac(key, stringToSign));
  key.fill(0);
  const authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${canonical.signedHeaders}, Signature=${signature}`;
  return {
    amzDate: date,
    scope,
    canonicalRequest: canonical.text,
    stringToSign,
    signature,
    authorization,
    headers: { ...extra, authorization },
  };
}
