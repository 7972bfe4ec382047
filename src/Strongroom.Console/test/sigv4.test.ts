// The console's signer against the SigV4 vectors the server's verifier is tested with
// (tests/vectors/sigv4.json, also read by tests/Strongroom.Tests/SharedSigV4VectorTests.cs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { canonicalQuery, canonicalUri, deriveSigningKey, sha256Hex, sign, toHex, uriEncode } from '../src/sigv4.ts';

interface Vector {
  name: string;
  method: string;
  host: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  amzDate: string;
  region: string;
  service: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expected: { bodySha256?: string; canonicalRequestSha256?: string; signingKey?: string; signedHeaders: string; signature: string };
}

const file = fileURLToPath(new URL('../../../tests/vectors/sigv4.json', import.meta.url));
const { vectors } = JSON.parse(readFileSync(file, 'utf8')) as { vectors: Vector[] };

function dateOf(amz: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amz);
  assert.ok(m, amz);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

test('the shared vector file has the five vectors of the spec', () => {
  assert.deepEqual(vectors.map((v) => v.name), ['get-vanilla', 'post-vanilla', 'get-header-value-trim', 'secretsmanager-get-secret-value', 'kms-generate-data-key-session-token']);
});

for (const v of vectors) {
  test(`sign reproduces the ${v.name} vector`, async () => {
    const body = new TextEncoder().encode(v.body);
    if (v.expected.bodySha256) assert.equal(await sha256Hex(body), v.expected.bodySha256);
    const credentials = { accessKeyId: v.accessKeyId, secretAccessKey: v.secretAccessKey, sessionToken: v.sessionToken };
    const s = await sign({ method: v.method, host: v.host, path: v.path, headers: v.headers, body }, credentials, v.region, v.service, dateOf(v.amzDate));
    assert.equal(s.amzDate, v.amzDate);
    if (v.expected.canonicalRequestSha256) assert.equal(await sha256Hex(s.canonicalRequest), v.expected.canonicalRequestSha256);
    if (v.expected.signingKey) {
      assert.equal(toHex(await deriveSigningKey(v.secretAccessKey, v.amzDate.slice(0, 8), v.region, v.service)), v.expected.signingKey);
    }
    assert.equal(s.signature, v.expected.signature);
    assert.equal(
      s.authorization,
      `AWS4-HMAC-SHA256 Credential=${v.accessKeyId}/${v.amzDate.slice(0, 8)}/${v.region}/${v.service}/aws4_request, SignedHeaders=${v.expected.signedHeaders}, Signature=${v.expected.signature}`,
    );
    assert.equal(s.headers['x-amz-date'], v.amzDate);
    assert.equal(s.headers['x-amz-security-token'], v.sessionToken);
  });
}

test('get-vanilla canonical request and string to sign, line by line', async () => {
  const v = vectors[0]!;
  const s = await sign({ method: 'GET', host: v.host, path: '/', headers: {}, body: new Uint8Array() }, v, v.region, v.service, dateOf(v.amzDate));
  assert.equal(
    s.canonicalRequest,
    'GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
  assert.equal(
    s.stringToSign,
    'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
  );
});

test('a changed body byte changes the signature', async () => {
  const v = vectors[3]!;
  const s = await sign({ method: 'POST', host: v.host, path: '/', headers: v.headers, body: new TextEncoder().encode(v.body.replace('MyTestSecret', 'MyTestSecreu')) }, v, v.region, v.service, dateOf(v.amzDate));
  assert.notEqual(s.signature, v.expected.signature);
});

test('uriEncode keeps only unreserved characters and encodes UTF-8 bytes upper case', () => {
  assert.equal(uriEncode('AZaz09-_.~'), 'AZaz09-_.~');
  assert.equal(uriEncode('a b+c/d=é'), 'a%20b%2Bc%2Fd%3D%C3%A9');
  assert.equal(uriEncode('a/b', true), 'a/b');
});

test('canonicalUri normalises and double-encodes; canonicalQuery sorts by name then value', () => {
  assert.equal(canonicalUri(''), '/');
  assert.equal(canonicalUri('/'), '/');
  assert.equal(canonicalUri('/a/./b/../c//d'), '/a/c/d');
  assert.equal(canonicalUri('/a b'), '/a%2520b');
  assert.equal(canonicalQuery('b=2&a=2&a=1&c'), 'a=1&a=2&b=2&c=');
  assert.equal(canonicalQuery(''), '');
});

test('session token is signed and sent; without one it is absent', async () => {
  const base = { accessKeyId: 'AKID', secretAccessKey: 's' };
  const req = { method: 'POST', host: 'h:1', path: '/', headers: { 'Content-Type': 'application/x-amz-json-1.1' }, body: new Uint8Array() };
  const without = await sign(req, base, 'us-east-1', 'kms', new Date(0));
  assert.equal(without.headers['x-amz-security-token'], undefined);
  assert.match(without.authorization, /SignedHeaders=content-type;host;x-amz-date,/);
  const withToken = await sign(req, { ...base, sessionToken: 'tok' }, 'us-east-1', 'kms', new Date(0));
  assert.equal(withToken.headers['x-amz-security-token'], 'tok');
  assert.match(withToken.authorization, /SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,/);
});
