// Versions and staging labels (spec §3.3), UpdateSecretVersionStage, ListSecretVersionIds and
// ClientRequestToken idempotency (spec §3.4).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  DescribeSecretCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
  ListSecretVersionIdsCommand,
  paginateListSecretVersionIds,
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
  MSG_NOT_FOUND,
  msgAlreadyExists,
  suiteClient,
} from '../lib/harness.js';

const { client, created, track } = suiteClient();

/** A secret with three versions v1..v3 (v3 AWSCURRENT, v2 AWSPREVIOUS, v1 without labels). */
async function threeVersions(label) {
  const Name = track(uniqueName(label));
  const v1 = newToken();
  const v2 = newToken();
  const v3 = newToken();
  await client.send(new CreateSecretCommand({ Name, SecretString: 'one', ClientRequestToken: v1 }));
  await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'two', ClientRequestToken: v2 }));
  await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'three', ClientRequestToken: v3 }));
  return { Name, v1, v2, v3 };
}

/** DescribeSecret's VersionIdsToStages exactly as the server sent it. */
const rawStagesOf = async (Name) => (await client.send(new DescribeSecretCommand({ SecretId: Name }))).VersionIdsToStages ?? {};

/**
 * VersionIdsToStages without entries whose label list is empty. AWS leaves such (deprecated)
 * versions out altogether; one dedicated test below checks that, so that the other label tests
 * each fail only for their own rule.
 */
const stagesOf = async (Name) => Object.fromEntries(Object.entries(await rawStagesOf(Name)).filter(([, v]) => v.length > 0));

/** The label map with each label list sorted, for order-independent comparison. */
const normalized = (map) => Object.fromEntries(Object.entries(map).map(([k, v]) => [k, [...v].sort()]));

describe('staging labels', () => {
  it('AWSPREVIOUS follows AWSCURRENT; a version that loses all labels leaves the label map', async () => {
    const { Name, v1, v2, v3 } = await threeVersions('labels');
    assert.deepEqual(await rawStagesOf(Name), { [v3]: ['AWSCURRENT'], [v2]: ['AWSPREVIOUS'] });
    // A deprecated version is still readable by VersionId (spec §3.3).
    const old = await client.send(new GetSecretValueCommand({ SecretId: Name, VersionId: v1 }));
    assert.equal(old.SecretString, 'one');
    assert.ok(!old.VersionStages || old.VersionStages.length === 0, `v1 has labels ${old.VersionStages}`);
  });

  it('PutSecretValue with custom VersionStages leaves AWSCURRENT where it is', async () => {
    const { Name, VersionId: v1 } = await createSecret(client, { Name: track(uniqueName('custom')), SecretString: 'live' });
    const v2 = newToken();
    const put = await client.send(
      new PutSecretValueCommand({ SecretId: Name, SecretString: 'staged', ClientRequestToken: v2, VersionStages: ['BLUE'] }),
    );
    assert.deepEqual(put.VersionStages, ['BLUE']);
    assert.equal((await client.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString, 'live');
    const blue = await client.send(new GetSecretValueCommand({ SecretId: Name, VersionStage: 'BLUE' }));
    assert.equal(blue.SecretString, 'staged');
    assert.equal(blue.VersionId, v2);
    assert.deepEqual(await stagesOf(Name), { [v1]: ['AWSCURRENT'], [v2]: ['BLUE'] });
  });

  it('a custom label given to a new version is taken from the version that had it', async () => {
    const { Name, VersionId: v1 } = await createSecret(client, { Name: track(uniqueName('steal')), SecretString: 'a' });
    const v2 = newToken();
    const v3 = newToken();
    await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'b', ClientRequestToken: v2, VersionStages: ['CANARY'] }));
    await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'c', ClientRequestToken: v3, VersionStages: ['CANARY'] }));
    assert.deepEqual(await stagesOf(Name), { [v1]: ['AWSCURRENT'], [v3]: ['CANARY'] });
  });

  it('GetSecretValue with both VersionId and VersionStage must name the same version', async () => {
    const { Name, v2, v3 } = await threeVersions('both-sel');
    const ok = await client.send(new GetSecretValueCommand({ SecretId: Name, VersionId: v3, VersionStage: 'AWSCURRENT' }));
    assert.equal(ok.SecretString, 'three');
    await expectError(
      client.send(new GetSecretValueCommand({ SecretId: Name, VersionId: v2, VersionStage: 'AWSCURRENT' })),
      'InvalidRequestException',
    );
  });
});

describe('UpdateSecretVersionStage', () => {
  it('rolls AWSCURRENT back to the previous version, which moves AWSPREVIOUS too', async () => {
    const { Name, v2, v3 } = await threeVersions('rollback');
    const out = await client.send(
      new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'AWSCURRENT', MoveToVersionId: v2, RemoveFromVersionId: v3 }),
    );
    assert.equal(out.Name, Name);
    assert.ok(out.ARN);
    assert.deepEqual(await stagesOf(Name), { [v2]: ['AWSCURRENT'], [v3]: ['AWSPREVIOUS'] });
    assert.equal((await client.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString, 'two');
  });

  it('moves AWSCURRENT to a deprecated version', async () => {
    const { Name, v1, v3 } = await threeVersions('revive');
    await client.send(
      new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'AWSCURRENT', MoveToVersionId: v1, RemoveFromVersionId: v3 }),
    );
    assert.deepEqual(await stagesOf(Name), { [v1]: ['AWSCURRENT'], [v3]: ['AWSPREVIOUS'] });
    assert.equal((await client.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString, 'one');
  });

  it('adds a custom label to a version, and removes it when MoveToVersionId is left out', async () => {
    const { Name, v2, v3 } = await threeVersions('addremove');
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'TESTING', MoveToVersionId: v2 }));
    assert.deepEqual(normalized(await stagesOf(Name)), { [v3]: ['AWSCURRENT'], [v2]: ['AWSPREVIOUS', 'TESTING'] });
    const byLabel = await client.send(new GetSecretValueCommand({ SecretId: Name, VersionStage: 'TESTING' }));
    assert.equal(byLabel.VersionId, v2);
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'TESTING', RemoveFromVersionId: v2 }));
    assert.deepEqual(await stagesOf(Name), { [v3]: ['AWSCURRENT'], [v2]: ['AWSPREVIOUS'] });
    await expectError(client.send(new GetSecretValueCommand({ SecretId: Name, VersionStage: 'TESTING' })), 'ResourceNotFoundException');
  });

  it('requires RemoveFromVersionId when the label is attached to another version', async () => {
    const { Name, v2, v3 } = await threeVersions('needremove');
    await expectError(
      client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'AWSCURRENT', MoveToVersionId: v2 })),
      'InvalidParameterException',
    );
    assert.deepEqual(await stagesOf(Name), { [v3]: ['AWSCURRENT'], [v2]: ['AWSPREVIOUS'] }, 'nothing moved');
  });

  it('rejects a RemoveFromVersionId that does not carry the label', async () => {
    const { Name, v1, v2 } = await threeVersions('wrongremove');
    await expectError(
      client.send(
        new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'AWSCURRENT', MoveToVersionId: v1, RemoveFromVersionId: v2 }),
      ),
      'InvalidParameterException',
    );
  });

  it('rejects a MoveToVersionId that does not exist', async () => {
    const { Name, v3 } = await threeVersions('nomove');
    await expectError(
      client.send(
        new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'AWSCURRENT', MoveToVersionId: newToken(), RemoveFromVersionId: v3 }),
      ),
      'InvalidParameterException',
    );
  });

  it('reports an unknown secret with ResourceNotFoundException', async () => {
    await expectError(
      client.send(new UpdateSecretVersionStageCommand({ SecretId: uniqueName('usvsmissing'), VersionStage: 'X', MoveToVersionId: newToken() })),
      'ResourceNotFoundException',
      { message: MSG_NOT_FOUND },
    );
  });
});

describe('ListSecretVersionIds', () => {
  it('lists labelled versions, and deprecated ones only with IncludeDeprecated', async () => {
    const { Name, v1, v2, v3 } = await threeVersions('lsv');
    const out = await client.send(new ListSecretVersionIdsCommand({ SecretId: Name }));
    assert.equal(out.Name, Name);
    assert.ok(out.ARN);
    const byId = Object.fromEntries(out.Versions.map((v) => [v.VersionId, v]));
    assert.deepEqual(Object.keys(byId).sort(), [v2, v3].sort());
    assert.deepEqual(byId[v3].VersionStages, ['AWSCURRENT']);
    assert.deepEqual(byId[v2].VersionStages, ['AWSPREVIOUS']);
    for (const v of out.Versions) assertDateNear(v.CreatedDate, { what: `CreatedDate of ${v.VersionId}` });

    const all = await client.send(new ListSecretVersionIdsCommand({ SecretId: Name, IncludeDeprecated: true }));
    assert.deepEqual(all.Versions.map((v) => v.VersionId).sort(), [v1, v2, v3].sort());
    const dep = all.Versions.find((v) => v.VersionId === v1);
    assert.ok(!dep.VersionStages || dep.VersionStages.length === 0, 'the deprecated version has no labels');
  });

  it('pages with MaxResults and NextToken', async () => {
    const { Name, v1, v2, v3 } = await threeVersions('lsvpage');
    const seen = [];
    let pages = 0;
    for await (const page of paginateListSecretVersionIds(
      { client, pageSize: 1 },
      { SecretId: Name, IncludeDeprecated: true },
    )) {
      pages += 1;
      assert.ok(page.Versions.length <= 1, `page of ${page.Versions.length} with MaxResults 1`);
      seen.push(...page.Versions.map((v) => v.VersionId));
      assert.ok(pages <= 10, 'pagination does not end');
    }
    assert.ok(pages >= 3, `expected at least 3 pages, got ${pages}`);
    assert.deepEqual(seen.sort(), [v1, v2, v3].sort());
  });

  it('rejects a made-up NextToken', async () => {
    const { Name } = await threeVersions('lsvtoken');
    await expectError(
      client.send(new ListSecretVersionIdsCommand({ SecretId: Name, NextToken: 'bm90LWEtcmVhbC10b2tlbg==' })),
      'InvalidNextTokenException',
    );
  });

  it('reports an unknown secret with ResourceNotFoundException', async () => {
    await expectError(
      client.send(new ListSecretVersionIdsCommand({ SecretId: uniqueName('lsvmissing') })),
      'ResourceNotFoundException',
      { message: MSG_NOT_FOUND },
    );
  });
});

describe('ClientRequestToken idempotency', () => {
  it('PutSecretValue: same token and same value succeeds without a new version', async () => {
    const { Name, VersionId: v1 } = await createSecret(client, { Name: track(uniqueName('idem')), SecretString: 'one' });
    const token = newToken();
    const first = await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'two', ClientRequestToken: token }));
    const again = await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'two', ClientRequestToken: token }));
    assert.equal(first.VersionId, token);
    assert.equal(again.VersionId, token);
    assert.deepEqual(again.VersionStages, ['AWSCURRENT']);
    assert.deepEqual(await stagesOf(Name), { [token]: ['AWSCURRENT'], [v1]: ['AWSPREVIOUS'] });
    const all = await client.send(new ListSecretVersionIdsCommand({ SecretId: Name, IncludeDeprecated: true }));
    assert.equal(all.Versions.length, 2, 'the retry must not add a version');
  });

  it('PutSecretValue: same token and same binary value succeeds', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('idembin')), SecretString: 'one' });
    const token = newToken();
    const bytes = new Uint8Array([1, 2, 3, 250]);
    await client.send(new PutSecretValueCommand({ SecretId: Name, SecretBinary: bytes, ClientRequestToken: token }));
    const again = await client.send(new PutSecretValueCommand({ SecretId: Name, SecretBinary: bytes, ClientRequestToken: token }));
    assert.equal(again.VersionId, token);
  });

  it('PutSecretValue: same token with a different value is ResourceExistsException', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('idemdiff')), SecretString: 'one' });
    const token = newToken();
    await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'two', ClientRequestToken: token }));
    await expectError(
      client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'DIFFERENT', ClientRequestToken: token })),
      'ResourceExistsException',
    );
    assert.equal((await client.send(new GetSecretValueCommand({ SecretId: Name, VersionId: token }))).SecretString, 'two');
  });

  it('PutSecretValue: reusing the token of the first version with another value is ResourceExistsException', async () => {
    const token = newToken();
    const { Name } = await createSecret(client, { Name: track(uniqueName('idemfirst')), SecretString: 'one', ClientRequestToken: token });
    await expectError(
      client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'other', ClientRequestToken: token })),
      'ResourceExistsException',
    );
  });

  it('CreateSecret: same name, token and value is an idempotent success', async () => {
    const name = track(uniqueName('idemcreate'));
    const token = newToken();
    const first = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v', ClientRequestToken: token }));
    const again = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v', ClientRequestToken: token }));
    assert.equal(again.ARN, first.ARN);
    assert.equal(again.VersionId, token);
  });

  it('CreateSecret: same name with a new token is ResourceExistsException', async () => {
    const name = track(uniqueName('idemcreate2'));
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v', ClientRequestToken: newToken() }));
    await expectError(
      client.send(new CreateSecretCommand({ Name: name, SecretString: 'v', ClientRequestToken: newToken() })),
      'ResourceExistsException',
      { message: msgAlreadyExists(name) },
    );
  });

  it('UpdateSecret: a token already used by a version is rejected', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('idemupd')), SecretString: 'one' });
    const token = newToken();
    await client.send(new UpdateSecretCommand({ SecretId: Name, SecretString: 'two', ClientRequestToken: token }));
    await expectError(
      client.send(new UpdateSecretCommand({ SecretId: Name, SecretString: 'three', ClientRequestToken: token })),
      'ResourceExistsException',
    );
    assert.equal((await client.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString, 'two');
  });

  it('rejects a token shorter than 32 characters', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('shorttoken')), SecretString: 'one' });
    await expectErrorOneOf(
      client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'two', ClientRequestToken: 'too-short' })),
      ['InvalidParameterException', 'ValidationException'],
    );
  });
});
