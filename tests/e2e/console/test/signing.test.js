// The console's SigV4 signer (src/Strongroom.Console/src/sigv4.ts, through its AwsClient) against the real server:
// every service the console calls accepts its signatures, with and without a session token; a wrong key or a
// skewed clock is answered as AWS answers it, and the client corrects a skewed clock as the AWS SDKs do.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { client, createUser, startServer, xmlText } from '../lib/harness.js';

describe('the console signer against a real server', () => {
  let server;
  let admin;
  before(async () => {
    server = await startServer();
    admin = await client(server.endpoint, server.admin);
  });
  after(async () => server?.stop());

  it('is accepted by every service the console uses', async () => {
    const name = `signing/${Date.now()}`;
    const created = await admin.json('secretsmanager', 'CreateSecret', { Name: name, SecretString: 'sig-value', ClientRequestToken: crypto.randomUUID() });
    assert.equal(created.Name, name);
    assert.equal((await admin.json('secretsmanager', 'GetSecretValue', { SecretId: name })).SecretString, 'sig-value');
    assert.ok((await admin.json('kms', 'ListKeys', {})).Keys.length >= 1);
    await admin.json('ssm', 'PutParameter', { Name: '/signing/p', Value: 'v', Type: 'String' });
    assert.equal((await admin.json('ssm', 'GetParameter', { Name: '/signing/p' })).Parameter.Value, 'v');
    assert.ok(Array.isArray((await admin.json('cloudtrail', 'LookupEvents', { MaxResults: 5 })).Events));
    assert.ok(Array.isArray((await admin.json('strongroom', 'ListRotationFunctions', {})).Functions));
    assert.equal((await admin.json('strongroom', 'VerifyAuditTrail', {})).Verified, true);
    assert.match(xmlText(await admin.query('sts', 'GetCallerIdentity'), 'Arn'), /^arn:aws:iam::\d{12}:user\/admin$/);
    assert.ok(xmlText(await admin.query('iam', 'ListUsers'), 'IsTruncated') !== undefined);
  });

  it('signs values with characters that need encoding in the Query protocol', async () => {
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'secretsmanager:*', Resource: 'arn:aws:secretsmanager:*:*:secret:a+b c/*' }] };
    const key = await createUser(admin, 'sig-encoding', policy);
    assert.ok(key.accessKeyId);
    const read = await admin.query('iam', 'GetUserPolicy', { UserName: 'sig-encoding', PolicyName: 'console-test' });
    assert.match(decodeURIComponent(xmlText(read, 'PolicyDocument')), /a\+b c\/\*/);
  });

  it('signs temporary credentials with their session token (AssumeRole)', async () => {
    const user = await createUser(admin, 'sig-assumer', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] });
    const account = xmlText(await admin.query('sts', 'GetCallerIdentity'), 'Account');
    await admin.query('iam', 'CreateRole', {
      RoleName: 'sig-reader',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:user/sig-assumer` }, Action: 'sts:AssumeRole' }] }),
    });
    await admin.query('iam', 'PutRolePolicy', { RoleName: 'sig-reader', PolicyName: 'list', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'secretsmanager:ListSecrets', Resource: '*' }] }) });
    const assumed = await (await client(server.endpoint, user)).query('sts', 'AssumeRole', { RoleArn: `arn:aws:iam::${account}:role/sig-reader`, RoleSessionName: 'console' });
    const temporary = { accessKeyId: xmlText(assumed, 'AccessKeyId'), secretAccessKey: xmlText(assumed, 'SecretAccessKey'), sessionToken: xmlText(assumed, 'SessionToken') };
    assert.ok(temporary.sessionToken);
    const session = await client(server.endpoint, temporary);
    assert.ok(Array.isArray((await session.json('secretsmanager', 'ListSecrets', {})).SecretList));
    assert.match(xmlText(await session.query('sts', 'GetCallerIdentity'), 'Arn'), /assumed-role\/sig-reader\/console$/);
    const { sessionToken: _, ...withoutToken } = temporary;
    await assert.rejects((await client(server.endpoint, withoutToken)).json('secretsmanager', 'ListSecrets', {}), (e) => e.code === 'UnrecognizedClientException');
  });

  it('a wrong secret key is answered InvalidSignatureException / SignatureDoesNotMatch, verbatim', async () => {
    const wrong = await client(server.endpoint, { accessKeyId: server.admin.accessKeyId, secretAccessKey: server.admin.secretAccessKey + 'x' });
    await assert.rejects(wrong.json('secretsmanager', 'ListSecrets', {}), (e) => e.code === 'InvalidSignatureException' && e.message.startsWith('The request signature we calculated does not match') && e.status === 400 && !!e.requestId);
    await assert.rejects(wrong.query('sts', 'GetCallerIdentity'), (e) => e.code === 'SignatureDoesNotMatch' && e.status === 403);
    const unknown = await client(server.endpoint, { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' });
    await assert.rejects(unknown.json('kms', 'ListKeys', {}), (e) => e.code === 'UnrecognizedClientException' && e.message === 'The security token included in the request is invalid.');
  });

  it('a clock 20 minutes slow is corrected from the server Date header and the call goes through', async () => {
    const slow = await client(server.endpoint, server.admin, { now: () => Date.now() - 20 * 60_000 });
    const answer = await slow.json('secretsmanager', 'ListSecrets', { MaxResults: 1 });
    assert.ok(Array.isArray(answer.SecretList));
  });

  it('forget() drops the key: no later call is signed or sent', async () => {
    const c = await client(server.endpoint, server.admin);
    c.forget();
    await assert.rejects(c.json('secretsmanager', 'ListSecrets', {}), (e) => e.code === 'SignedOut');
    assert.equal(c.accessKeyId, undefined);
  });
});
