// Multi-Region replication (spec §3.13): the same endpoint serves every Region; the Region comes
// from the client's SigV4 credential scope. Replication is asynchronous at AWS, so a status of
// InProgress is tolerated at first and InSync is waited for (a few seconds at most).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  DeleteSecretCommand,
  ReplicateSecretToRegionsCommand,
  RemoveRegionsFromReplicationCommand,
  StopReplicationToReplicaCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  makeClient,
  uniqueName,
  forceDelete,
  expectError,
  expectErrorOneOf,
  eventually,
  REGION,
  REPLICA_REGION,
  MSG_NOT_FOUND,
} from '../lib/harness.js';

const primary = makeClient(REGION);
const replica = makeClient(REPLICA_REGION);
const created = [];
after(async () => {
  for (const name of created) {
    try {
      await primary.send(new RemoveRegionsFromReplicationCommand({ SecretId: name, RemoveReplicaRegions: [REPLICA_REGION] }));
    } catch {
      // Cleanup only.
    }
    await forceDelete(replica, name);
    await forceDelete(primary, name);
  }
  primary.destroy();
  replica.destroy();
});

const replicaArnOf = (arn) => arn.replace(`:secretsmanager:${REGION}:`, `:secretsmanager:${REPLICA_REGION}:`);

/** Waits until the primary reports the replica Region InSync; returns the DescribeSecret output. */
async function waitInSync(name) {
  const desc = await eventually(async () => {
    const d = await primary.send(new DescribeSecretCommand({ SecretId: name }));
    const status = d.ReplicationStatus?.find((r) => r.Region === REPLICA_REGION)?.Status;
    return status === 'InSync' ? d : null;
  });
  if (!desc) {
    const d = await primary.send(new DescribeSecretCommand({ SecretId: name }));
    assert.fail(`replica in ${REPLICA_REGION} never became InSync: ${JSON.stringify(d.ReplicationStatus)}`);
  }
  return desc;
}

/** GetSecretValue in the replica Region, or the error's name. */
const readReplica = (name) =>
  replica.send(new GetSecretValueCommand({ SecretId: name })).then(
    (out) => out,
    (e) => ({ error: e.name }),
  );

describe('replication', () => {
  it('CreateSecret with AddReplicaRegions replicates to eu-west-1, which reads the same value', async () => {
    const name = uniqueName('repl');
    created.push(name);
    const out = await primary.send(
      new CreateSecretCommand({ Name: name, SecretString: 'replicated value', AddReplicaRegions: [{ Region: REPLICA_REGION }] }),
    );
    assert.ok(Array.isArray(out.ReplicationStatus), 'CreateSecret returns ReplicationStatus');
    const entry = out.ReplicationStatus.find((r) => r.Region === REPLICA_REGION);
    assert.ok(entry, `no ${REPLICA_REGION} entry in ${JSON.stringify(out.ReplicationStatus)}`);
    assert.ok(['InSync', 'InProgress'].includes(entry.Status), `status ${entry.Status}`);

    const d = await waitInSync(name);
    assert.equal(d.PrimaryRegion, REGION);
    assert.deepEqual(
      d.ReplicationStatus.map((r) => [r.Region, r.Status]),
      [[REPLICA_REGION, 'InSync']],
    );

    const got = await eventually(async () => {
      const r = await readReplica(name);
      return r.SecretString ? r : null;
    });
    assert.ok(got, `replica never readable in ${REPLICA_REGION}`);
    assert.equal(got.SecretString, 'replicated value');
    assert.equal(got.ARN, replicaArnOf(out.ARN), 'the replica ARN is the primary ARN with the Region swapped');
    assert.equal(got.VersionId, out.VersionId);

    const rd = await replica.send(new DescribeSecretCommand({ SecretId: name }));
    assert.equal(rd.PrimaryRegion, REGION, 'the replica names its primary Region');
  });

  it('a new value written to the primary reaches the replica', async () => {
    const name = uniqueName('replput');
    created.push(name);
    await primary.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', AddReplicaRegions: [{ Region: REPLICA_REGION }] }));
    await waitInSync(name);
    await primary.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2' }));
    const got = await eventually(async () => {
      const r = await readReplica(name);
      return r.SecretString === 'v2' ? r : null;
    });
    assert.ok(got, 'the replica never showed v2');
  });

  it('the name is not visible in eu-west-1 without replication', async () => {
    const name = uniqueName('noreplica');
    created.push(name);
    await primary.send(new CreateSecretCommand({ Name: name, SecretString: 'local only' }));
    await expectError(replica.send(new GetSecretValueCommand({ SecretId: name })), 'ResourceNotFoundException', { message: MSG_NOT_FOUND });
  });

  it('RemoveRegionsFromReplication drops the replica', async () => {
    const name = uniqueName('replrm');
    created.push(name);
    const { ARN } = await primary.send(
      new CreateSecretCommand({ Name: name, SecretString: 'x', AddReplicaRegions: [{ Region: REPLICA_REGION }] }),
    );
    await waitInSync(name);
    const out = await primary.send(new RemoveRegionsFromReplicationCommand({ SecretId: name, RemoveReplicaRegions: [REPLICA_REGION] }));
    assert.equal(out.ARN, ARN);
    assert.ok(!(out.ReplicationStatus ?? []).some((r) => r.Region === REPLICA_REGION), JSON.stringify(out.ReplicationStatus));
    const d = await primary.send(new DescribeSecretCommand({ SecretId: name }));
    assert.ok(!(d.ReplicationStatus ?? []).some((r) => r.Region === REPLICA_REGION), JSON.stringify(d.ReplicationStatus));
    const gone = await eventually(async () => (await readReplica(name)).error === 'ResourceNotFoundException');
    assert.ok(gone, 'the replica is still readable after RemoveRegionsFromReplication');
    // The primary itself is untouched.
    assert.equal((await primary.send(new GetSecretValueCommand({ SecretId: name }))).SecretString, 'x');
  });

  it('ReplicateSecretToRegions replicates an existing secret', async () => {
    const name = uniqueName('replto');
    created.push(name);
    const { ARN } = await primary.send(new CreateSecretCommand({ Name: name, SecretString: 'later' }));
    const out = await primary.send(new ReplicateSecretToRegionsCommand({ SecretId: name, AddReplicaRegions: [{ Region: REPLICA_REGION }] }));
    assert.equal(out.ARN, ARN);
    const entry = out.ReplicationStatus?.find((r) => r.Region === REPLICA_REGION);
    assert.ok(entry && ['InSync', 'InProgress'].includes(entry.Status), JSON.stringify(out.ReplicationStatus));
    await waitInSync(name);
    const got = await eventually(async () => {
      const r = await readReplica(name);
      return r.SecretString ? r : null;
    });
    assert.equal(got?.SecretString, 'later');
  });

  it('StopReplicationToReplica, called in the replica Region, makes the replica a standalone secret', async () => {
    const name = uniqueName('replstop');
    created.push(name);
    const { ARN } = await primary.send(
      new CreateSecretCommand({ Name: name, SecretString: 'promote me', AddReplicaRegions: [{ Region: REPLICA_REGION }] }),
    );
    await waitInSync(name);
    const out = await replica.send(new StopReplicationToReplicaCommand({ SecretId: name }));
    assert.equal(out.ARN, replicaArnOf(ARN));
    const rd = await replica.send(new DescribeSecretCommand({ SecretId: name }));
    assert.ok(!rd.PrimaryRegion || rd.PrimaryRegion === REPLICA_REGION, `promoted secret still names primary ${rd.PrimaryRegion}`);
    assert.equal((await replica.send(new GetSecretValueCommand({ SecretId: name }))).SecretString, 'promote me');
    const d = await primary.send(new DescribeSecretCommand({ SecretId: name }));
    assert.ok(!(d.ReplicationStatus ?? []).some((r) => r.Region === REPLICA_REGION), JSON.stringify(d.ReplicationStatus));
  });

  it('a primary with replicas cannot be deleted until the replicas are removed', async () => {
    const name = uniqueName('repldel');
    created.push(name);
    await primary.send(new CreateSecretCommand({ Name: name, SecretString: 'x', AddReplicaRegions: [{ Region: REPLICA_REGION }] }));
    await waitInSync(name);
    // Real AWS answers (reported in public issue threads): InvalidParameterException
    // "You can't delete secret <arn> that still has replica regions [eu-west-1]."
    await expectError(primary.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 })), 'InvalidParameterException', {
      message: /still has replica regions/,
    });
    await primary.send(new RemoveRegionsFromReplicationCommand({ SecretId: name, RemoveReplicaRegions: [REPLICA_REGION] }));
    const out = await primary.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    assert.ok(out.DeletionDate instanceof Date);
  });

  it('a replica is read-only: writes in the replica Region are refused', async () => {
    const name = uniqueName('replro');
    created.push(name);
    await primary.send(new CreateSecretCommand({ Name: name, SecretString: 'x', AddReplicaRegions: [{ Region: REPLICA_REGION }] }));
    await waitInSync(name);
    // Real AWS answers (reported): InvalidParameterException "Operation not permitted on a replica
    // secret. Call must be made in primary secret's region."
    await expectError(replica.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'y' })), 'InvalidParameterException');
    assert.equal((await primary.send(new GetSecretValueCommand({ SecretId: name }))).SecretString, 'x');
  });

  it('rejects a malformed Region name', async () => {
    const name = uniqueName('replbad');
    created.push(name);
    await primary.send(new CreateSecretCommand({ Name: name, SecretString: 'x' }));
    await expectErrorOneOf(
      primary.send(new ReplicateSecretToRegionsCommand({ SecretId: name, AddReplicaRegions: [{ Region: 'EU_WEST' }] })),
      ['InvalidParameterException', 'ValidationException'],
    );
  });

  it('replication operations report an unknown secret with ResourceNotFoundException', async () => {
    const missing = uniqueName('replmissing');
    await expectError(
      primary.send(new ReplicateSecretToRegionsCommand({ SecretId: missing, AddReplicaRegions: [{ Region: REPLICA_REGION }] })),
      'ResourceNotFoundException',
      { message: MSG_NOT_FOUND },
    );
    await expectError(
      primary.send(new RemoveRegionsFromReplicationCommand({ SecretId: missing, RemoveReplicaRegions: [REPLICA_REGION] })),
      'ResourceNotFoundException',
      { message: MSG_NOT_FOUND },
    );
    await expectError(replica.send(new StopReplicationToReplicaCommand({ SecretId: missing })), 'ResourceNotFoundException', {
      message: MSG_NOT_FOUND,
    });
  });
});
