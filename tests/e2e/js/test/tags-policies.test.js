// TagResource / UntagResource (spec §3.11) and resource policies (spec §3.10).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DescribeSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
  PutResourcePolicyCommand,
  GetResourcePolicyCommand,
  DeleteResourcePolicyCommand,
  ValidateResourcePolicyCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  makeClient,
  uniqueName,
  createSecret,
  forceDelete,
  expectError,
  sortTags,
  MSG_NOT_FOUND,
  suiteClient,
} from '../lib/harness.js';

const { client, created, track } = suiteClient();

const tagsOf = async (SecretId) => sortTags((await client.send(new DescribeSecretCommand({ SecretId }))).Tags ?? []);

describe('tags', () => {
  it('CreateSecret stores tags; TagResource adds and overwrites; UntagResource removes', async () => {
    const { Name, ARN } = await createSecret(client, {
      Name: track(uniqueName('tags')),
      SecretString: 'x',
      Tags: [{ Key: 'env', Value: 'dev' }, { Key: 'Team', Value: 'core' }],
    });
    assert.deepEqual(await tagsOf(Name), [{ Key: 'Team', Value: 'core' }, { Key: 'env', Value: 'dev' }]);

    const tagged = await client.send(
      new TagResourceCommand({ SecretId: Name, Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'cost-center', Value: '42' }] }),
    );
    assert.equal(tagged.$metadata.httpStatusCode, 200);
    assert.deepEqual(await tagsOf(Name), [
      { Key: 'Team', Value: 'core' },
      { Key: 'cost-center', Value: '42' },
      { Key: 'env', Value: 'prod' },
    ]);

    // Keys are case-sensitive: 'team' is not 'Team'.
    await client.send(new TagResourceCommand({ SecretId: ARN, Tags: [{ Key: 'team', Value: 'lower' }] }));
    assert.equal((await tagsOf(Name)).length, 4);

    await client.send(new UntagResourceCommand({ SecretId: Name, TagKeys: ['env', 'team'] }));
    assert.deepEqual(await tagsOf(Name), [
      { Key: 'Team', Value: 'core' },
      { Key: 'cost-center', Value: '42' },
    ]);
  });

  it('UntagResource ignores keys that are not there', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('untag')), SecretString: 'x', Tags: [{ Key: 'a', Value: '1' }] });
    const out = await client.send(new UntagResourceCommand({ SecretId: Name, TagKeys: ['does-not-exist'] }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.deepEqual(await tagsOf(Name), [{ Key: 'a', Value: '1' }]);
  });

  it('accepts an empty tag value', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('emptytag')), SecretString: 'x' });
    await client.send(new TagResourceCommand({ SecretId: Name, Tags: [{ Key: 'flag', Value: '' }] }));
    assert.deepEqual(await tagsOf(Name), [{ Key: 'flag', Value: '' }]);
  });

  it('TagResource and UntagResource report an unknown secret with ResourceNotFoundException', async () => {
    const missing = uniqueName('tagmissing');
    await expectError(client.send(new TagResourceCommand({ SecretId: missing, Tags: [{ Key: 'k', Value: 'v' }] })), 'ResourceNotFoundException', {
      message: MSG_NOT_FOUND,
    });
    await expectError(client.send(new UntagResourceCommand({ SecretId: missing, TagKeys: ['k'] })), 'ResourceNotFoundException', {
      message: MSG_NOT_FOUND,
    });
  });
});

const accountPolicy = (resource = '*') =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::123456789012:role/app' },
        Action: 'secretsmanager:GetSecretValue',
        Resource: resource,
      },
    ],
  });

const publicPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
});

describe('resource policies', () => {
  it('Put, Get and Delete a policy', async () => {
    const { Name, ARN } = await createSecret(client, { Name: track(uniqueName('policy')), SecretString: 'x' });
    const none = await client.send(new GetResourcePolicyCommand({ SecretId: Name }));
    assert.equal(none.ARN, ARN);
    assert.equal(none.Name, Name);
    assert.equal(none.ResourcePolicy, undefined, 'no policy attached yet');

    const put = await client.send(new PutResourcePolicyCommand({ SecretId: Name, ResourcePolicy: accountPolicy(), BlockPublicPolicy: true }));
    assert.equal(put.ARN, ARN);
    assert.equal(put.Name, Name);

    const got = await client.send(new GetResourcePolicyCommand({ SecretId: ARN }));
    assert.equal(got.ARN, ARN);
    assert.equal(got.Name, Name);
    assert.deepEqual(JSON.parse(got.ResourcePolicy), JSON.parse(accountPolicy()));

    const del = await client.send(new DeleteResourcePolicyCommand({ SecretId: Name }));
    assert.equal(del.ARN, ARN);
    assert.equal(del.Name, Name);
    const after = await client.send(new GetResourcePolicyCommand({ SecretId: Name }));
    assert.equal(after.ResourcePolicy, undefined, 'policy gone after DeleteResourcePolicy');
  });

  it('DeleteResourcePolicy succeeds when no policy is attached', async () => {
    const { Name, ARN } = await createSecret(client, { Name: track(uniqueName('nopolicy')), SecretString: 'x' });
    const del = await client.send(new DeleteResourcePolicyCommand({ SecretId: Name }));
    assert.equal(del.ARN, ARN);
  });

  it('a second PutResourcePolicy replaces the first', async () => {
    const { Name, ARN } = await createSecret(client, { Name: track(uniqueName('replace')), SecretString: 'x' });
    await client.send(new PutResourcePolicyCommand({ SecretId: Name, ResourcePolicy: accountPolicy() }));
    await client.send(new PutResourcePolicyCommand({ SecretId: Name, ResourcePolicy: accountPolicy(ARN) }));
    const got = await client.send(new GetResourcePolicyCommand({ SecretId: Name }));
    assert.equal(JSON.parse(got.ResourcePolicy).Statement[0].Resource, ARN);
  });

  it('BlockPublicPolicy rejects Principal "*" with PublicPolicyException and keeps no policy', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('public')), SecretString: 'x' });
    await expectError(
      client.send(new PutResourcePolicyCommand({ SecretId: Name, ResourcePolicy: publicPolicy, BlockPublicPolicy: true })),
      'PublicPolicyException',
    );
    const got = await client.send(new GetResourcePolicyCommand({ SecretId: Name }));
    assert.equal(got.ResourcePolicy, undefined);
  });

  it('BlockPublicPolicy rejects Principal {"AWS": "*"} too', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('public2')), SecretString: 'x' });
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'secretsmanager:*', Resource: '*' }],
    });
    await expectError(
      client.send(new PutResourcePolicyCommand({ SecretId: Name, ResourcePolicy: policy, BlockPublicPolicy: true })),
      'PublicPolicyException',
    );
  });

  it('rejects a policy that is not JSON with MalformedPolicyDocumentException', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('malformed')), SecretString: 'x' });
    await expectError(
      client.send(new PutResourcePolicyCommand({ SecretId: Name, ResourcePolicy: '{"Version": "2012-10-17", "Statement": [' })),
      'MalformedPolicyDocumentException',
    );
    const got = await client.send(new GetResourcePolicyCommand({ SecretId: Name }));
    assert.equal(got.ResourcePolicy, undefined);
  });

  it('policy operations report an unknown secret with ResourceNotFoundException', async () => {
    const missing = uniqueName('polmissing');
    for (const cmd of [
      new GetResourcePolicyCommand({ SecretId: missing }),
      new PutResourcePolicyCommand({ SecretId: missing, ResourcePolicy: accountPolicy() }),
      new DeleteResourcePolicyCommand({ SecretId: missing }),
    ]) {
      await expectError(client.send(cmd), 'ResourceNotFoundException', { message: MSG_NOT_FOUND });
    }
  });
});

describe('ValidateResourcePolicy', () => {
  it('passes a well-formed, non-public policy (with and without SecretId)', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('validate')), SecretString: 'x' });
    const withId = await client.send(new ValidateResourcePolicyCommand({ SecretId: Name, ResourcePolicy: accountPolicy() }));
    assert.equal(withId.PolicyValidationPassed, true);
    assert.deepEqual(withId.ValidationErrors ?? [], []);
    const withoutId = await client.send(new ValidateResourcePolicyCommand({ ResourcePolicy: accountPolicy() }));
    assert.equal(withoutId.PolicyValidationPassed, true);
  });

  it('rejects a policy that is not JSON with MalformedPolicyDocumentException', async () => {
    await expectError(
      client.send(new ValidateResourcePolicyCommand({ ResourcePolicy: 'this is not json' })),
      'MalformedPolicyDocumentException',
    );
  });

  it('reports an unknown SecretId with ResourceNotFoundException', async () => {
    await expectError(
      client.send(new ValidateResourcePolicyCommand({ SecretId: uniqueName('valmissing'), ResourcePolicy: accountPolicy() })),
      'ResourceNotFoundException',
      { message: MSG_NOT_FOUND },
    );
  });
});
