// DeleteSecret with a recovery window, RestoreSecret, and force delete (spec §3.6).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretCommand,
  RestoreSecretCommand,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  makeClient,
  uniqueName,
  createSecret,
  forceDelete,
  expectError,
  assertDateNear,
  MSG_NOT_FOUND,
  MSG_MARKED_FOR_DELETION,
  suiteClient,
} from '../lib/harness.js';

const { client, created, track } = suiteClient();

const DAY_MS = 86_400_000;

describe('DeleteSecret with a recovery window', () => {
  it('schedules deletion: DeletionDate = now + window, DescribeSecret shows DeletedDate', async () => {
    const { Name, ARN } = await createSecret(client, { Name: track(uniqueName('del7')), SecretString: 'x' });
    const out = await client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7 }));
    assert.equal(out.ARN, ARN);
    assert.equal(out.Name, Name);
    assertDateNear(out.DeletionDate, { expectedMs: Date.now() + 7 * DAY_MS, what: 'DeletionDate' });
    const d = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    assert.ok(d.DeletedDate instanceof Date, 'DescribeSecret works and shows DeletedDate');
  });

  it('defaults to a 30-day window', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('del30')), SecretString: 'x' });
    const out = await client.send(new DeleteSecretCommand({ SecretId: Name }));
    assertDateNear(out.DeletionDate, { expectedMs: Date.now() + 30 * DAY_MS, what: 'DeletionDate' });
  });

  it('GetSecretValue on a secret scheduled for deletion is InvalidRequestException with AWS\'s message', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('delget')), SecretString: 'x' });
    await client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7 }));
    await expectError(client.send(new GetSecretValueCommand({ SecretId: Name })), 'InvalidRequestException', {
      message: MSG_MARKED_FOR_DELETION,
    });
  });

  it('PutSecretValue and UpdateSecret are refused while scheduled for deletion', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('delput')), SecretString: 'x' });
    await client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7 }));
    await expectError(client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'y' })), 'InvalidRequestException', {
      message: MSG_MARKED_FOR_DELETION,
    });
    await expectError(client.send(new UpdateSecretCommand({ SecretId: Name, SecretString: 'y' })), 'InvalidRequestException', {
      message: MSG_MARKED_FOR_DELETION,
    });
  });

  it('a second DeleteSecret without force is InvalidRequestException', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('deltwice')), SecretString: 'x' });
    await client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7 }));
    await expectError(client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7 })), 'InvalidRequestException');
  });

  it('CreateSecret with the name of a secret scheduled for deletion is InvalidRequestException', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('delname')), SecretString: 'x' });
    await client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7 }));
    await expectError(client.send(new CreateSecretCommand({ Name, SecretString: 'again' })), 'InvalidRequestException');
  });

  it('rejects RecoveryWindowInDays outside 7..30 with InvalidParameterException', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('delwin')), SecretString: 'x' });
    for (const RecoveryWindowInDays of [6, 31]) {
      await expectError(client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays })), 'InvalidParameterException');
    }
    const got = await client.send(new GetSecretValueCommand({ SecretId: Name }));
    assert.equal(got.SecretString, 'x', 'the rejected delete must not schedule anything');
  });

  it('rejects RecoveryWindowInDays together with ForceDeleteWithoutRecovery', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('delboth')), SecretString: 'x' });
    await expectError(
      client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true })),
      'InvalidParameterException',
    );
    assert.equal((await client.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString, 'x');
  });

  it('reports an unknown secret with ResourceNotFoundException', async () => {
    await expectError(client.send(new DeleteSecretCommand({ SecretId: uniqueName('delmissing') })), 'ResourceNotFoundException', {
      message: MSG_NOT_FOUND,
    });
  });
});

describe('RestoreSecret', () => {
  it('cancels a scheduled deletion and brings back value, labels and tags', async () => {
    const { Name, ARN, VersionId } = await createSecret(client, {
      Name: track(uniqueName('restore')),
      SecretString: 'keep me',
      Tags: [{ Key: 'k', Value: 'v' }],
    });
    await client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7 }));
    const out = await client.send(new RestoreSecretCommand({ SecretId: Name }));
    assert.equal(out.ARN, ARN);
    assert.equal(out.Name, Name);
    const got = await client.send(new GetSecretValueCommand({ SecretId: Name }));
    assert.equal(got.SecretString, 'keep me');
    assert.equal(got.VersionId, VersionId);
    const d = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    assert.equal(d.DeletedDate, undefined, 'DeletedDate is gone after restore');
    assert.deepEqual(d.Tags, [{ Key: 'k', Value: 'v' }]);
    assert.deepEqual(d.VersionIdsToStages, { [VersionId]: ['AWSCURRENT'] });
    // Writable again.
    await client.send(new TagResourceCommand({ SecretId: Name, Tags: [{ Key: 'after', Value: 'restore' }] }));
  });

  it('reports an unknown secret with ResourceNotFoundException', async () => {
    await expectError(client.send(new RestoreSecretCommand({ SecretId: uniqueName('restoremissing') })), 'ResourceNotFoundException', {
      message: MSG_NOT_FOUND,
    });
  });
});

describe('DeleteSecret with ForceDeleteWithoutRecovery', () => {
  it('deletes at once: the secret is gone and DeletionDate is now', async () => {
    const { Name, ARN } = await createSecret(client, { Name: track(uniqueName('force')), SecretString: 'x' });
    const out = await client.send(new DeleteSecretCommand({ SecretId: Name, ForceDeleteWithoutRecovery: true }));
    assert.equal(out.ARN, ARN);
    assert.equal(out.Name, Name);
    assertDateNear(out.DeletionDate, { what: 'DeletionDate' });
    await expectError(client.send(new DescribeSecretCommand({ SecretId: Name })), 'ResourceNotFoundException', { message: MSG_NOT_FOUND });
    await expectError(client.send(new GetSecretValueCommand({ SecretId: ARN })), 'ResourceNotFoundException', { message: MSG_NOT_FOUND });
    await expectError(client.send(new RestoreSecretCommand({ SecretId: Name })), 'ResourceNotFoundException');
  });

  it('force-deletes a secret that is already scheduled for deletion', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('forcesched')), SecretString: 'x' });
    await client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7 }));
    await client.send(new DeleteSecretCommand({ SecretId: Name, ForceDeleteWithoutRecovery: true }));
    await expectError(client.send(new DescribeSecretCommand({ SecretId: Name })), 'ResourceNotFoundException');
  });

  it('the name can be created again immediately, with a new ARN and new value', async () => {
    const name = track(uniqueName('recreate'));
    const first = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'old' }));
    await client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    const second = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'new' }));
    assert.equal(second.Name, name);
    assert.notEqual(second.ARN, first.ARN, 'a re-created secret gets a new ARN suffix');
    const got = await client.send(new GetSecretValueCommand({ SecretId: name }));
    assert.equal(got.SecretString, 'new');
    assert.equal(got.VersionId, second.VersionId);
    const d = await client.send(new DescribeSecretCommand({ SecretId: name }));
    assert.deepEqual(Object.keys(d.VersionIdsToStages), [second.VersionId], 'no versions of the old secret survive');
    await expectError(client.send(new GetSecretValueCommand({ SecretId: first.ARN })), 'ResourceNotFoundException');
  });

  it('succeeds for a secret that does not exist', async () => {
    const out = await client.send(new DeleteSecretCommand({ SecretId: uniqueName('forcemissing'), ForceDeleteWithoutRecovery: true }));
    assert.equal(out.$metadata.httpStatusCode, 200);
  });
});
