// ListSecrets (filters, planned deletion, pagination) and BatchGetSecretValue (spec §3.7).
// The server is shared with other suites, so every listing is narrowed to this file's own prefix.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  ListSecretsCommand,
  BatchGetSecretValueCommand,
  paginateListSecrets,
  paginateBatchGetSecretValue,
} from '@aws-sdk/client-secrets-manager';
import {
  makeClient,
  uniqueName,
  uniquePrefix,
  randomLetters,
  forceDelete,
  sortTags,
  expectError,
  expectErrorOneOf,
  assertDateNear,
} from '../lib/harness.js';

const client = makeClient();
const created = [];
after(async () => {
  await Promise.all(created.map((n) => forceDelete(client, n)));
  client.destroy();
});

async function create(input) {
  created.push(input.Name);
  return client.send(new CreateSecretCommand(input));
}

/** All secret names ListSecrets returns for `input`, following NextToken by hand. */
async function listNames(input) {
  const names = [];
  let NextToken;
  let pages = 0;
  do {
    const page = await client.send(new ListSecretsCommand({ ...input, NextToken }));
    names.push(...page.SecretList.map((s) => s.Name));
    NextToken = page.NextToken;
    pages += 1;
    assert.ok(pages < 100, 'ListSecrets pagination does not end');
  } while (NextToken);
  return names.sort();
}

describe('ListSecrets', () => {
  // A group of five secrets under one prefix, with distinct descriptions and tags.
  const prefix = uniquePrefix('list');
  // A word no other secret on the server uses; letters only, because the `all` filter splits
  // words at every letter/digit boundary.
  const word = `zq${randomLetters(10)}`;
  const names = {
    alpha: `${prefix}alpha`,
    beta: `${prefix}beta`,
    gamma: `${prefix}gamma`,
    delta: `${prefix}delta`,
    epsilon: `${prefix}epsilon`,
  };

  before(async () => {
    await create({ Name: names.alpha, SecretString: 'a', Description: `Primary ${word} database`, Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'core' }] });
    await create({ Name: names.beta, SecretString: 'b', Description: 'Replica database', Tags: [{ Key: 'env', Value: 'staging' }] });
    await create({ Name: names.gamma, SecretString: 'c', Description: 'cache password', Tags: [{ Key: 'owner', Value: 'prod-team' }] });
    await create({ Name: names.delta, SecretString: 'd' });
    await create({ Name: names.epsilon, SecretString: 'e', Description: 'ephemeral' });
  });

  it('filters by name prefix and returns metadata entries with Date fields and no values', async () => {
    const out = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }] }));
    const entries = out.SecretList.filter((s) => s.Name.startsWith(prefix));
    assert.deepEqual(entries.map((s) => s.Name).sort(), Object.values(names).sort());
    const alpha = entries.find((s) => s.Name === names.alpha);
    assert.match(alpha.ARN, /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:/);
    assert.equal(alpha.Description, `Primary ${word} database`);
    assert.deepEqual(sortTags(alpha.Tags), [
      { Key: 'env', Value: 'prod' },
      { Key: 'team', Value: 'core' },
    ]);
    assertDateNear(alpha.CreatedDate, { what: 'CreatedDate' });
    assertDateNear(alpha.LastChangedDate, { what: 'LastChangedDate' });
    const stages = Object.values(alpha.SecretVersionsToStages ?? {});
    assert.deepEqual(stages, [['AWSCURRENT']], 'ListSecrets calls the label map SecretVersionsToStages');
    assert.equal(alpha.SecretString, undefined);
    assert.ok(!JSON.stringify(out.SecretList).includes('"SecretString"'));
  });

  it('name filter is a case-sensitive prefix match', async () => {
    assert.deepEqual(await listNames({ Filters: [{ Key: 'name', Values: [`${prefix}al`] }] }), [names.alpha]);
    assert.deepEqual(await listNames({ Filters: [{ Key: 'name', Values: [`${prefix}ALPHA`] }] }), []);
  });

  it('values inside one filter are OR-ed', async () => {
    const got = await listNames({ Filters: [{ Key: 'name', Values: [`${prefix}alpha`, `${prefix}beta`] }] });
    assert.deepEqual(got, [names.alpha, names.beta].sort());
  });

  it('different filters are AND-ed (name + tag-key)', async () => {
    const got = await listNames({ Filters: [{ Key: 'name', Values: [prefix] }, { Key: 'tag-key', Values: ['env'] }] });
    assert.deepEqual(got, [names.alpha, names.beta].sort());
  });

  it('tag-value filter matches a prefix of any tag value', async () => {
    const got = await listNames({ Filters: [{ Key: 'name', Values: [prefix] }, { Key: 'tag-value', Values: ['prod'] }] });
    assert.deepEqual(got, [names.alpha, names.gamma].sort());
  });

  it('description filter matches case-insensitively', async () => {
    const got = await listNames({ Filters: [{ Key: 'name', Values: [prefix] }, { Key: 'description', Values: [word.toUpperCase()] }] });
    assert.deepEqual(got, [names.alpha]);
  });

  it('a "!" prefix negates a filter value (name)', async () => {
    const got = await listNames({ Filters: [{ Key: 'name', Values: [prefix] }, { Key: 'name', Values: [`!${prefix}al`] }] });
    assert.deepEqual(got, [names.beta, names.gamma, names.delta, names.epsilon].sort());
  });

  it('a "!" prefix negates a filter value (tag-key)', async () => {
    // Only single-tag secrets are asserted: how a negated value meets several tags is not documented.
    const got = await listNames({ Filters: [{ Key: 'name', Values: [prefix] }, { Key: 'tag-key', Values: ['!env'] }] });
    assert.ok(!got.includes(names.beta), `beta's only tag key is env, yet it was returned: ${got}`);
    assert.ok(got.includes(names.gamma), `gamma's only tag key is owner, yet it was left out: ${got}`);
  });

  it('the "all" filter matches a word of the description', async () => {
    const got = await listNames({ Filters: [{ Key: 'all', Values: [word] }] });
    assert.deepEqual(got, [names.alpha]);
  });

  it('paginateListSecrets walks more than one page with MaxResults', async () => {
    const seen = [];
    let pages = 0;
    for await (const page of paginateListSecrets({ client, pageSize: 2 }, { Filters: [{ Key: 'name', Values: [prefix] }] })) {
      pages += 1;
      assert.ok(page.SecretList.length <= 2, `page ${pages} has ${page.SecretList.length} entries with MaxResults 2`);
      seen.push(...page.SecretList.map((s) => s.Name));
      assert.ok(pages <= 20, 'pagination does not end');
    }
    assert.ok(pages >= 3, `5 secrets with MaxResults 2 need at least 3 pages, got ${pages}`);
    assert.equal(new Set(seen).size, seen.length, `a secret came back twice: ${seen}`);
    assert.deepEqual(seen.sort(), Object.values(names).sort());
  });

  it('MaxResults bounds a single page and returns a NextToken', async () => {
    const first = await client.send(new ListSecretsCommand({ MaxResults: 1, Filters: [{ Key: 'name', Values: [prefix] }] }));
    assert.ok(first.SecretList.length <= 1);
    assert.ok(first.NextToken, 'more results exist, so NextToken is expected');
  });

  it('SortBy name with SortOrder asc and desc', async () => {
    const sorted = (SortOrder) =>
      client
        .send(new ListSecretsCommand({ SortBy: 'name', SortOrder, Filters: [{ Key: 'name', Values: [prefix] }] }))
        .then((out) => out.SecretList.map((s) => s.Name));
    const alphabetical = [names.alpha, names.beta, names.delta, names.epsilon, names.gamma];
    assert.deepEqual(await sorted('asc'), alphabetical);
    assert.deepEqual(await sorted('desc'), [...alphabetical].reverse());
  });

  it('rejects an unknown filter key', async () => {
    await expectErrorOneOf(client.send(new ListSecretsCommand({ Filters: [{ Key: 'colour', Values: ['blue'] }] })), [
      'InvalidParameterException',
      'ValidationException',
    ]);
  });

  it('rejects a made-up NextToken with InvalidNextTokenException', async () => {
    await expectError(
      client.send(new ListSecretsCommand({ NextToken: 'bm90LWEtcmVhbC10b2tlbg==', Filters: [{ Key: 'name', Values: [prefix] }] })),
      'InvalidNextTokenException',
    );
  });

  it('hides secrets scheduled for deletion unless IncludePlannedDeletion is true', async () => {
    const p = uniquePrefix('planned');
    const keep = `${p}keep`;
    const gone = `${p}gone`;
    await create({ Name: keep, SecretString: 'k' });
    await create({ Name: gone, SecretString: 'g' });
    await client.send(new DeleteSecretCommand({ SecretId: gone, RecoveryWindowInDays: 7 }));
    assert.deepEqual(await listNames({ Filters: [{ Key: 'name', Values: [p] }] }), [keep]);
    const withDeleted = await client.send(new ListSecretsCommand({ IncludePlannedDeletion: true, Filters: [{ Key: 'name', Values: [p] }] }));
    const names2 = withDeleted.SecretList.map((s) => s.Name).sort();
    assert.deepEqual(names2, [gone, keep]);
    const entry = withDeleted.SecretList.find((s) => s.Name === gone);
    assert.ok(entry.DeletedDate instanceof Date, 'the planned-deletion entry carries DeletedDate');
  });
});

describe('BatchGetSecretValue', () => {
  it('returns current values by SecretIdList and reports a missing id in Errors', async () => {
    const a = uniqueName('batch-a');
    const b = uniqueName('batch-b');
    const missing = uniqueName('batch-missing');
    const ca = await create({ Name: a, SecretString: 'value-a' });
    await create({ Name: b, SecretBinary: new Uint8Array([0, 1, 2, 255]) });
    const out = await client.send(new BatchGetSecretValueCommand({ SecretIdList: [a, b, missing] }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    const byName = Object.fromEntries(out.SecretValues.map((v) => [v.Name, v]));
    assert.deepEqual(Object.keys(byName).sort(), [a, b].sort());
    assert.equal(byName[a].SecretString, 'value-a');
    assert.equal(byName[a].ARN, ca.ARN);
    assert.equal(byName[a].VersionId, ca.VersionId);
    assert.deepEqual(byName[a].VersionStages, ['AWSCURRENT']);
    assertDateNear(byName[a].CreatedDate, { what: 'CreatedDate' });
    assert.ok(byName[b].SecretBinary instanceof Uint8Array);
    assert.deepEqual(Array.from(byName[b].SecretBinary), [0, 1, 2, 255]);
    assert.equal(out.Errors.length, 1, `Errors: ${JSON.stringify(out.Errors)}`);
    assert.equal(out.Errors[0].SecretId, missing);
    assert.equal(out.Errors[0].ErrorCode, 'ResourceNotFoundException');
    assert.ok(out.Errors[0].Message, 'the error entry carries a message');
  });

  it('accepts ARNs in SecretIdList', async () => {
    const a = uniqueName('batch-arn');
    const { ARN } = await create({ Name: a, SecretString: 'by-arn' });
    const out = await client.send(new BatchGetSecretValueCommand({ SecretIdList: [ARN] }));
    assert.equal(out.SecretValues.length, 1);
    assert.equal(out.SecretValues[0].SecretString, 'by-arn');
    assert.deepEqual(out.Errors ?? [], []);
  });

  it('reports a secret scheduled for deletion in Errors', async () => {
    const a = uniqueName('batch-del');
    await create({ Name: a, SecretString: 'x' });
    await client.send(new DeleteSecretCommand({ SecretId: a, RecoveryWindowInDays: 7 }));
    const out = await client.send(new BatchGetSecretValueCommand({ SecretIdList: [a] }));
    assert.deepEqual(out.SecretValues ?? [], []);
    assert.equal(out.Errors.length, 1);
    assert.equal(out.Errors[0].SecretId, a);
  });

  it('selects secrets by Filters and pages with MaxResults', async () => {
    const prefix = uniquePrefix('batchf');
    const expected = {};
    for (const n of ['one', 'two', 'three']) {
      expected[`${prefix}${n}`] = `v-${n}`;
      await create({ Name: `${prefix}${n}`, SecretString: `v-${n}` });
    }
    const got = {};
    let pages = 0;
    for await (const page of paginateBatchGetSecretValue({ client, pageSize: 2 }, { Filters: [{ Key: 'name', Values: [prefix] }] })) {
      pages += 1;
      assert.ok(page.SecretValues.length <= 2);
      for (const v of page.SecretValues) got[v.Name] = v.SecretString;
      assert.ok(pages <= 10, 'pagination does not end');
    }
    assert.deepEqual(got, expected);
    assert.ok(pages >= 2, `3 secrets with MaxResults 2 need 2 pages, got ${pages}`);
  });

  it('rejects SecretIdList together with Filters', async () => {
    await expectError(
      client.send(new BatchGetSecretValueCommand({ SecretIdList: [uniqueName('x')], Filters: [{ Key: 'name', Values: ['x'] }] })),
      'InvalidParameterException',
    );
  });

  it('rejects a request with neither SecretIdList nor Filters', async () => {
    await expectError(client.send(new BatchGetSecretValueCommand({})), 'InvalidParameterException');
  });

  it('rejects MaxResults without Filters', async () => {
    await expectError(
      client.send(new BatchGetSecretValueCommand({ SecretIdList: [uniqueName('x')], MaxResults: 5 })),
      'InvalidParameterException',
    );
  });

  it('rejects more than 20 ids', async () => {
    const ids = Array.from({ length: 21 }, (_, i) => uniqueName(`many${i}`));
    await expectErrorOneOf(client.send(new BatchGetSecretValueCommand({ SecretIdList: ids })), [
      'InvalidParameterException',
      'ValidationException',
    ]);
  });
});
