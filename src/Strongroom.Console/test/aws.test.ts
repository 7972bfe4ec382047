// The console's API client with a fake transport: the request it signs and sends, AWS's error shapes turned into
// code + message verbatim, the clock-skew retry, and forget().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsClient, AwsError, parseJsonError, type Fetch, type HttpResponse } from '../src/aws.ts';

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function fake(answers: { status: number; body: string; headers?: Record<string, string> }[]) {
  const sent: Sent[] = [];
  const fetch: Fetch = async (url, init) => {
    sent.push({ url, headers: init.headers, body: new TextDecoder().decode(init.body) });
    assert.equal(init.credentials, 'omit');
    assert.equal(init.cache, 'no-store');
    const answer = answers.shift();
    assert.ok(answer, 'an unexpected extra request');
    const headers = Object.fromEntries(Object.entries(answer.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const response: HttpResponse = { status: answer.status, headers: { get: (n) => headers[n.toLowerCase()] ?? null }, text: async () => answer.body };
    return response;
  };
  return { fetch, sent };
}

const parseXml = () => ({ textContent: '', getElementsByTagName: () => [] });
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

test('a JSON call is a signed POST / with the target, the JSON body and nothing else', async () => {
  const { fetch, sent } = fake([{ status: 200, body: '{"SecretList":[]}' }]);
  const c = new AwsClient(creds, { url: 'http://127.0.0.1:4566/', host: '127.0.0.1:4566', region: 'eu-west-1', fetch, parseXml, now: () => Date.UTC(2024, 0, 15, 12) });
  assert.deepEqual(await c.json('secretsmanager', 'ListSecrets', { MaxResults: 5 }), { SecretList: [] });
  const [request] = sent;
  assert.equal(request!.url, 'http://127.0.0.1:4566/');
  assert.equal(request!.body, '{"MaxResults":5}');
  assert.equal(request!.headers['x-amz-target'], 'secretsmanager.ListSecrets');
  assert.equal(request!.headers['content-type'], 'application/x-amz-json-1.1');
  assert.equal(request!.headers['x-amz-date'], '20240115T120000Z');
  assert.match(request!.headers['authorization']!, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20240115\/eu-west-1\/secretsmanager\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/);
  assert.equal(Object.keys(request!.headers).sort().join(','), 'authorization,content-type,x-amz-date,x-amz-target');
});

test('each service is signed for its own name and target prefix', async () => {
  const cases = [
    ['kms', 'TrentService.ListKeys'],
    ['ssm', 'AmazonSSM.GetParameter'],
    ['cloudtrail', 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents'],
    ['strongroom', 'Strongroom.VerifyAuditTrail'],
  ] as const;
  for (const [service, target] of cases) {
    const { fetch, sent } = fake([{ status: 200, body: '{}' }]);
    const c = new AwsClient(creds, { url: 'http://h/', host: 'h', region: 'us-east-1', fetch, parseXml });
    await c.json(service, target.slice(target.lastIndexOf('.') + 1));
    assert.equal(sent[0]!.headers['x-amz-target'], target);
    assert.match(sent[0]!.headers['authorization']!, new RegExp(`/us-east-1/${service}/aws4_request`));
  }
});

test('a Query call is a form body, spaces as %20, signed for iam/sts', async () => {
  const { fetch, sent } = fake([{ status: 200, body: '<x/>' }]);
  const c = new AwsClient(creds, { url: 'http://h/', host: 'h', region: 'us-east-1', fetch, parseXml });
  await c.query('iam', 'PutUserPolicy', { UserName: 'a b', PolicyDocument: '{"x":"+/*"}' });
  assert.equal(sent[0]!.body, 'Action=PutUserPolicy&Version=2010-05-08&UserName=a%20b&PolicyDocument=%7B%22x%22%3A%22%2B%2F*%22%7D');
  assert.equal(sent[0]!.headers['content-type'], 'application/x-www-form-urlencoded; charset=utf-8');
  assert.match(sent[0]!.headers['authorization']!, /\/iam\/aws4_request, SignedHeaders=content-type;host;x-amz-date,/);
});

test('errors keep AWS code and message verbatim, with status and request id', async () => {
  const { fetch } = fake([{ status: 400, body: '{"__type":"AccessDeniedException","Message":"User: x is not authorized"}', headers: { 'x-amzn-RequestId': 'req-1' } }]);
  const c = new AwsClient(creds, { url: 'http://h/', host: 'h', region: 'us-east-1', fetch, parseXml });
  await assert.rejects(c.json('secretsmanager', 'GetSecretValue', { SecretId: 'x' }), (e: unknown) => {
    assert.ok(e instanceof AwsError);
    assert.deepEqual([e.code, e.message, e.status, e.requestId], ['AccessDeniedException', 'User: x is not authorized', 400, 'req-1']);
    return true;
  });
  assert.deepEqual(((e) => [e.code, e.message])(parseJsonError(400, '{"__type":"com.amazonaws.kms#NotFoundException","message":"Key not found"}')), ['NotFoundException', 'Key not found']);
  assert.deepEqual(((e) => [e.code, e.message])(parseJsonError(502, '<html>Bad gateway</html>')), ['HTTP 502', '<html>Bad gateway</html>']);
});

test('a skew answer corrects the clock from Date and retries once; a second skew answer is final', async () => {
  const skew = { status: 400, body: '{"__type":"InvalidSignatureException","Message":"Signature expired: 20240115T115000Z is now earlier than 20240115T120000Z (20240115T120500Z - 5 min.)"}', headers: { date: 'Mon, 15 Jan 2024 12:05:00 GMT' } };
  const { fetch, sent } = fake([skew, { status: 200, body: '{}' }]);
  const c = new AwsClient(creds, { url: 'http://h/', host: 'h', region: 'us-east-1', fetch, parseXml, now: () => Date.UTC(2024, 0, 15, 11, 50) });
  await c.json('kms', 'ListKeys');
  assert.deepEqual(sent.map((s) => s.headers['x-amz-date']), ['20240115T115000Z', '20240115T120500Z']);

  const again = fake([skew, skew]);
  const d = new AwsClient(creds, { url: 'http://h/', host: 'h', region: 'us-east-1', fetch: again.fetch, parseXml, now: () => Date.UTC(2024, 0, 15, 11, 50) });
  await assert.rejects(d.json('kms', 'ListKeys'), (e: unknown) => e instanceof AwsError && e.code === 'InvalidSignatureException');
  assert.equal(again.sent.length, 2);
});

test('a network failure is an error naming it; forget() stops all later calls before they are sent', async () => {
  const c = new AwsClient(creds, { url: 'http://h/', host: 'h', region: 'us-east-1', fetch: async () => Promise.reject(new TypeError('Failed to fetch')), parseXml });
  await assert.rejects(c.json('kms', 'ListKeys'), (e: unknown) => e instanceof AwsError && e.code === 'NetworkError' && /Failed to fetch/.test(e.message));
  const { fetch, sent } = fake([]);
  const d = new AwsClient(creds, { url: 'http://h/', host: 'h', region: 'us-east-1', fetch, parseXml });
  d.forget();
  await assert.rejects(d.json('kms', 'ListKeys'), (e: unknown) => e instanceof AwsError && e.code === 'SignedOut');
  assert.equal(sent.length, 0);
  assert.equal(d.accessKeyId, undefined);
});
