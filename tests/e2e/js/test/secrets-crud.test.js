// CreateSecret, GetSecretValue, PutSecretValue, DescribeSecret, UpdateSecret: the everyday path,
// text and binary values, SecretId forms, and the errors of each.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  DescribeSecretCommand,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  makeClient,
  uniqueName,
  newToken,
  createSecret,
  forceDelete,
  expectError,
  expectErrorOneOf,
  assertDateNear,
  assertTodayUtcMidnight,
  arnPattern,
  MSG_NOT_FOUND,
  msgAlreadyExists,
  suiteClient,
} from '../lib/harness.js';

const { client, created, track } = suiteClient();

describe('CreateSecret', () => {
  it('creates a text secret and returns ARN, Name and the token as VersionId', async () => {
    const name = track(uniqueName('create'));
    const token = newToken();
    const out = await client.send(
      new CreateSecretCommand({ Name: name, SecretString: 's3cr3t', ClientRequestToken: token, Description: 'db password' }),
    );
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.ok(out.$metadata.requestId, 'x-amzn-RequestId should be returned');
    assert.equal(out.Name, name);
    assert.match(out.ARN, arnPattern(name));
    assert.equal(out.VersionId, token);
  });

  it('lets the SDK fill in ClientRequestToken, giving a UUID VersionId', async () => {
    const { VersionId } = await createSecret(client, { Name: track(uniqueName('autotoken')), SecretString: 'x' });
    assert.match(VersionId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  });

  it('accepts every allowed name character (letters, digits and /_+=.@-)', async () => {
    const name = track(`${uniqueName('chars')}/A_b+c=d.e@f-g`);
    const out = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v' }));
    assert.equal(out.Name, name);
    const got = await client.send(new GetSecretValueCommand({ SecretId: name }));
    assert.equal(got.SecretString, 'v');
  });

  it('creates a secret without a value: no VersionId, and GetSecretValue finds no value', async () => {
    const name = track(uniqueName('novalue'));
    const out = await client.send(new CreateSecretCommand({ Name: name, Description: 'empty for now' }));
    assert.equal(out.VersionId, undefined);
    const desc = await client.send(new DescribeSecretCommand({ SecretId: name }));
    assert.equal(desc.Description, 'empty for now');
    assert.deepEqual(desc.VersionIdsToStages ?? {}, {});
    await expectError(client.send(new GetSecretValueCommand({ SecretId: name })), 'ResourceNotFoundException');
  });

  it('rejects a duplicate name with ResourceExistsException and AWS\'s message', async () => {
    const name = track(uniqueName('dup'));
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'first' }));
    await expectError(client.send(new CreateSecretCommand({ Name: name, SecretString: 'second' })), 'ResourceExistsException', {
      message: msgAlreadyExists(name),
    });
    const got = await client.send(new GetSecretValueCommand({ SecretId: name }));
    assert.equal(got.SecretString, 'first', 'the failed create must not change the value');
  });

  it('rejects SecretString together with SecretBinary (InvalidParameterException)', async () => {
    const name = uniqueName('both');
    await expectError(
      client.send(new CreateSecretCommand({ Name: name, SecretString: 'a', SecretBinary: new Uint8Array([1]) })),
      'InvalidParameterException',
    );
    await expectError(client.send(new DescribeSecretCommand({ SecretId: name })), 'ResourceNotFoundException');
  });

  it('rejects a name with characters outside A-Za-z0-9/_+=.@-', async () => {
    const name = `${uniqueName('bad')} has spaces!`;
    await expectErrorOneOf(client.send(new CreateSecretCommand({ Name: name, SecretString: 'a' })), [
      'InvalidParameterException',
      'ValidationException',
    ]);
  });

  it('rejects a value over 65,536 bytes', async () => {
    const name = uniqueName('huge');
    await expectErrorOneOf(client.send(new CreateSecretCommand({ Name: name, SecretString: 'x'.repeat(65_537) })), [
      'InvalidParameterException',
      'ValidationException',
    ]);
  });

  it('accepts a value of exactly 65,536 bytes', async () => {
    const name = track(uniqueName('max'));
    const value = 'y'.repeat(65_536);
    await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    const got = await client.send(new GetSecretValueCommand({ SecretId: name }));
    assert.equal(got.SecretString.length, 65_536);
    assert.equal(got.SecretString, value);
  });
});

describe('GetSecretValue', () => {
  it('returns the current text value with labels, VersionId and a CreatedDate near now', async () => {
    const name = track(uniqueName('get'));
    const created = await createSecret(client, { Name: name, SecretString: '{"user":"app","password":"pw"}' });
    const got = await client.send(new GetSecretValueCommand({ SecretId: name }));
    assert.equal(got.Name, name);
    assert.equal(got.ARN, created.ARN);
    assert.equal(got.VersionId, created.VersionId);
    assert.equal(got.SecretString, '{"user":"app","password":"pw"}');
    assert.equal(got.SecretBinary, undefined);
    assert.deepEqual(got.VersionStages, ['AWSCURRENT']);
    assertDateNear(got.CreatedDate, { what: 'CreatedDate' });
  });

  it('round-trips non-ASCII text unchanged', async () => {
    const value = 'pässwörd — ✓ 🔐 日本語';
    const { Name } = await createSecret(client, { Name: track(uniqueName('utf8')), SecretString: value });
    const got = await client.send(new GetSecretValueCommand({ SecretId: Name }));
    assert.equal(got.SecretString, value);
  });

  it('resolves SecretId given as name, full ARN and partial ARN', async () => {
    const { Name, ARN } = await createSecret(client, { Name: track(uniqueName('ids')), SecretString: 'by-any-id' });
    const partial = ARN.slice(0, -7); // the ARN without "-XXXXXX"
    for (const id of [Name, ARN, partial]) {
      const got = await client.send(new GetSecretValueCommand({ SecretId: id }));
      assert.equal(got.SecretString, 'by-any-id', `SecretId ${id}`);
      assert.equal(got.ARN, ARN);
    }
  });

  it('reports an unknown secret with ResourceNotFoundException and AWS\'s message', async () => {
    await expectError(client.send(new GetSecretValueCommand({ SecretId: uniqueName('missing') })), 'ResourceNotFoundException', {
      message: MSG_NOT_FOUND,
    });
  });

  it('reports an unknown full ARN with ResourceNotFoundException', async () => {
    const { ARN } = await createSecret(client, { Name: track(uniqueName('arnmiss')), SecretString: 'x' });
    const wrongSuffix = ARN.slice(0, -6) + (ARN.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
    await expectError(client.send(new GetSecretValueCommand({ SecretId: wrongSuffix })), 'ResourceNotFoundException', {
      message: MSG_NOT_FOUND,
    });
  });

  it('reports an unknown VersionId and an unknown VersionStage with ResourceNotFoundException', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('nover')), SecretString: 'x' });
    await expectError(
      client.send(new GetSecretValueCommand({ SecretId: Name, VersionId: newToken() })),
      'ResourceNotFoundException',
    );
    await expectError(
      client.send(new GetSecretValueCommand({ SecretId: Name, VersionStage: 'NO-SUCH-LABEL' })),
      'ResourceNotFoundException',
    );
  });

  it('updates LastAccessedDate (day granularity) shown by DescribeSecret', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('access')), SecretString: 'x' });
    await client.send(new GetSecretValueCommand({ SecretId: Name }));
    const desc = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    assertTodayUtcMidnight(desc.LastAccessedDate, 'LastAccessedDate');
  });
});

describe('binary secrets', () => {
  const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);

  it('round-trips every byte value through CreateSecret/GetSecretValue as a Uint8Array', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('bin')), SecretBinary: allBytes });
    const got = await client.send(new GetSecretValueCommand({ SecretId: Name }));
    assert.ok(got.SecretBinary instanceof Uint8Array, 'SecretBinary should be a Uint8Array');
    assert.deepEqual(Array.from(got.SecretBinary), Array.from(allBytes));
    assert.equal(got.SecretString, undefined, 'a binary version never carries SecretString');
  });

  it('switches between text and binary versions with PutSecretValue', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('binput')), SecretString: 'text first' });
    const bytes = new Uint8Array([0, 255, 10, 13, 0, 128]);
    await client.send(new PutSecretValueCommand({ SecretId: Name, SecretBinary: bytes }));
    const got = await client.send(new GetSecretValueCommand({ SecretId: Name }));
    assert.deepEqual(Array.from(got.SecretBinary), Array.from(bytes));
    assert.equal(got.SecretString, undefined);
    const prev = await client.send(new GetSecretValueCommand({ SecretId: Name, VersionStage: 'AWSPREVIOUS' }));
    assert.equal(prev.SecretString, 'text first');
    assert.equal(prev.SecretBinary, undefined);
  });
});

describe('PutSecretValue', () => {
  it('adds a version that becomes AWSCURRENT; the old one becomes AWSPREVIOUS', async () => {
    const { Name, ARN, VersionId: v1 } = await createSecret(client, { Name: track(uniqueName('put')), SecretString: 'one' });
    const token = newToken();
    const put = await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'two', ClientRequestToken: token }));
    assert.equal(put.ARN, ARN);
    assert.equal(put.Name, Name);
    assert.equal(put.VersionId, token);
    assert.deepEqual(put.VersionStages, ['AWSCURRENT']);
    const cur = await client.send(new GetSecretValueCommand({ SecretId: Name }));
    assert.equal(cur.SecretString, 'two');
    assert.equal(cur.VersionId, token);
    const prev = await client.send(new GetSecretValueCommand({ SecretId: Name, VersionStage: 'AWSPREVIOUS' }));
    assert.equal(prev.SecretString, 'one');
    assert.equal(prev.VersionId, v1);
    const byId = await client.send(new GetSecretValueCommand({ SecretId: Name, VersionId: v1 }));
    assert.equal(byId.SecretString, 'one');
    assert.deepEqual(byId.VersionStages, ['AWSPREVIOUS']);
  });

  it('gives the first value of an empty secret AWSCURRENT', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('putfirst')) });
    const put = await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'now set' }));
    assert.ok(put.VersionStages.includes('AWSCURRENT'));
    const got = await client.send(new GetSecretValueCommand({ SecretId: Name }));
    assert.equal(got.SecretString, 'now set');
  });

  it('rejects SecretString together with SecretBinary (InvalidParameterException)', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('putboth')), SecretString: 'a' });
    await expectError(
      client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'b', SecretBinary: new Uint8Array([1]) })),
      'InvalidParameterException',
    );
  });

  it('reports an unknown secret with ResourceNotFoundException', async () => {
    await expectError(
      client.send(new PutSecretValueCommand({ SecretId: uniqueName('putmissing'), SecretString: 'x' })),
      'ResourceNotFoundException',
      { message: MSG_NOT_FOUND },
    );
  });
});

describe('DescribeSecret', () => {
  it('returns metadata, labels, tags and dates as Date objects near now, never the value', async () => {
    const name = track(uniqueName('describe'));
    const { ARN, VersionId } = await createSecret(client, {
      Name: name,
      SecretString: 'hidden',
      Description: 'described',
      Tags: [{ Key: 'team', Value: 'payments' }],
    });
    const d = await client.send(new DescribeSecretCommand({ SecretId: name }));
    assert.equal(d.ARN, ARN);
    assert.equal(d.Name, name);
    assert.equal(d.Description, 'described');
    assert.deepEqual(d.Tags, [{ Key: 'team', Value: 'payments' }]);
    assert.deepEqual(d.VersionIdsToStages, { [VersionId]: ['AWSCURRENT'] });
    assertDateNear(d.CreatedDate, { what: 'CreatedDate' });
    assertDateNear(d.LastChangedDate, { what: 'LastChangedDate' });
    assert.equal(d.DeletedDate, undefined);
    assert.ok(!d.RotationEnabled, 'rotation was never configured');
    assert.equal(d.SecretString, undefined);
    assert.equal(d.SecretBinary, undefined);
    assert.ok(!JSON.stringify(d).includes('hidden'), 'DescribeSecret must not leak the value');
  });

  it('reports an unknown secret with ResourceNotFoundException', async () => {
    await expectError(client.send(new DescribeSecretCommand({ SecretId: uniqueName('dmissing') })), 'ResourceNotFoundException', {
      message: MSG_NOT_FOUND,
    });
  });
});

describe('UpdateSecret', () => {
  it('changes only the description when no value is given (no new version)', async () => {
    const { Name, VersionId } = await createSecret(client, { Name: track(uniqueName('upd')), SecretString: 'v1', Description: 'old' });
    const out = await client.send(new UpdateSecretCommand({ SecretId: Name, Description: 'new description' }));
    assert.equal(out.Name, Name);
    assert.equal(out.VersionId, undefined, 'no VersionId without a new value');
    const d = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    assert.equal(d.Description, 'new description');
    assert.deepEqual(d.VersionIdsToStages, { [VersionId]: ['AWSCURRENT'] });
  });

  it('with a value creates a new AWSCURRENT version and moves AWSPREVIOUS', async () => {
    const { Name, VersionId: v1 } = await createSecret(client, { Name: track(uniqueName('updval')), SecretString: 'v1' });
    const token = newToken();
    const out = await client.send(new UpdateSecretCommand({ SecretId: Name, SecretString: 'v2', ClientRequestToken: token }));
    assert.equal(out.VersionId, token);
    const got = await client.send(new GetSecretValueCommand({ SecretId: Name }));
    assert.equal(got.SecretString, 'v2');
    const d = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    assert.deepEqual(d.VersionIdsToStages, { [v1]: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
    assertDateNear(d.LastChangedDate, { what: 'LastChangedDate' });
  });

  it('with a binary value stores bytes', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('updbin')), SecretString: 'text' });
    await client.send(new UpdateSecretCommand({ SecretId: Name, SecretBinary: new Uint8Array([9, 8, 7]) }));
    const got = await client.send(new GetSecretValueCommand({ SecretId: Name }));
    assert.deepEqual(Array.from(got.SecretBinary), [9, 8, 7]);
  });

  it('rejects SecretString together with SecretBinary (InvalidParameterException)', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('updboth')), SecretString: 'a' });
    await expectError(
      client.send(new UpdateSecretCommand({ SecretId: Name, SecretString: 'b', SecretBinary: new Uint8Array([1]) })),
      'InvalidParameterException',
    );
  });

  it('reports an unknown secret with ResourceNotFoundException', async () => {
    await expectError(
      client.send(new UpdateSecretCommand({ SecretId: uniqueName('updmissing'), Description: 'x' })),
      'ResourceNotFoundException',
      { message: MSG_NOT_FOUND },
    );
  });
});
