// RotateSecret / CancelRotateSecret configuration (spec §3.8). Only the configuration is checked, never that a
// rotation runs: the function is a built-in rotator, which RotateSecret accepts (an unknown function fails the call).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  RotateSecretCommand,
  CancelRotateSecretCommand,
  DescribeSecretCommand,
  ListSecretsCommand,
} from '@aws-sdk/client-secrets-manager';
import { makeClient, uniqueName, createSecret, forceDelete, expectError, expectErrorOneOf, MSG_NOT_FOUND, suiteClient } from '../lib/harness.js';

const { client, created, track } = suiteClient();

// The built-in MySQL rotator in the server's account (taken from a secret's ARN in the first before hook).
let LAMBDA = '';
before(async () => {
  const probe = await createSecret(client, { Name: track(uniqueName('account')), SecretString: 'p' });
  LAMBDA = `arn:aws:lambda:us-east-1:${probe.ARN.split(':')[4]}:function:strongroom-mysql-single-user`;
});

async function configureRotation(label) {
  const secret = await createSecret(client, { Name: track(uniqueName(label)), SecretString: '{"password":"p"}' });
  const out = await client.send(
    new RotateSecretCommand({
      SecretId: secret.Name,
      RotationLambdaARN: LAMBDA,
      RotationRules: { AutomaticallyAfterDays: 7 },
      RotateImmediately: false,
    }),
  );
  return { ...secret, rotate: out };
}

describe('RotateSecret', () => {
  it('with RotateImmediately=false stores the configuration that DescribeSecret shows', async () => {
    const { Name, ARN, rotate } = await configureRotation('rotate');
    assert.equal(rotate.$metadata.httpStatusCode, 200);
    assert.equal(rotate.ARN, ARN);
    assert.equal(rotate.Name, Name);
    const d = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    assert.equal(d.RotationEnabled, true);
    assert.equal(d.RotationLambdaARN, LAMBDA);
    assert.equal(d.RotationRules?.AutomaticallyAfterDays, 7);
  });

  it('shows NextRotationDate as a Date within the next 7 days (+1 for the window)', async () => {
    const { Name } = await configureRotation('nextdate');
    const d = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    assert.ok(d.NextRotationDate instanceof Date, `NextRotationDate: ${d.NextRotationDate}`);
    const ahead = d.NextRotationDate.getTime() - Date.now();
    assert.ok(ahead > 0 && ahead <= 8 * 86_400_000, `NextRotationDate ${d.NextRotationDate.toISOString()} not within 8 days`);
  });

  it('ListSecrets carries the rotation configuration too', async () => {
    const { Name } = await configureRotation('listrot');
    const out = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [Name] }] }));
    const entry = out.SecretList.find((s) => s.Name === Name);
    assert.ok(entry, 'secret listed');
    assert.equal(entry.RotationEnabled, true);
    assert.equal(entry.RotationLambdaARN, LAMBDA);
    assert.equal(entry.RotationRules?.AutomaticallyAfterDays, 7);
  });

  it('accepts a ScheduleExpression with a Duration instead of AutomaticallyAfterDays', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('cron')), SecretString: 'x' });
    await client.send(
      new RotateSecretCommand({
        SecretId: Name,
        RotationLambdaARN: LAMBDA,
        RotationRules: { ScheduleExpression: 'cron(0 16 1,15 * ? *)', Duration: '2h' },
        RotateImmediately: false,
      }),
    );
    const d = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    assert.equal(d.RotationEnabled, true);
    assert.equal(d.RotationRules?.ScheduleExpression, 'cron(0 16 1,15 * ? *)');
    assert.equal(d.RotationRules?.Duration, '2h');
  });

  it('rejects AutomaticallyAfterDays outside 1..1000', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('baddays')), SecretString: 'x' });
    for (const AutomaticallyAfterDays of [0, 1001]) {
      await expectErrorOneOf(
        client.send(
          new RotateSecretCommand({ SecretId: Name, RotationLambdaARN: LAMBDA, RotationRules: { AutomaticallyAfterDays }, RotateImmediately: false }),
        ),
        ['InvalidParameterException', 'ValidationException'],
      );
    }
  });

  it('rejects AutomaticallyAfterDays together with ScheduleExpression (InvalidParameterException)', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('bothrules')), SecretString: 'x' });
    await expectError(
      client.send(
        new RotateSecretCommand({
          SecretId: Name,
          RotationLambdaARN: LAMBDA,
          RotationRules: { AutomaticallyAfterDays: 7, ScheduleExpression: 'rate(10 days)' },
          RotateImmediately: false,
        }),
      ),
      'InvalidParameterException',
    );
  });

  it('without a Lambda ARN on a secret that never had one is InvalidRequestException', async () => {
    const { Name } = await createSecret(client, { Name: track(uniqueName('nolambda')), SecretString: 'x' });
    await expectError(
      client.send(new RotateSecretCommand({ SecretId: Name, RotationRules: { AutomaticallyAfterDays: 7 }, RotateImmediately: false })),
      'InvalidRequestException',
    );
  });

  it('reports an unknown secret with ResourceNotFoundException', async () => {
    await expectError(
      client.send(
        new RotateSecretCommand({
          SecretId: uniqueName('rotmissing'),
          RotationLambdaARN: LAMBDA,
          RotationRules: { AutomaticallyAfterDays: 7 },
          RotateImmediately: false,
        }),
      ),
      'ResourceNotFoundException',
      { message: MSG_NOT_FOUND },
    );
  });
});

describe('RotateSecret with a function the server cannot invoke', () => {
  it('fails the call itself with AWS AccessDeniedException and changes nothing', async () => {
    const secret = await createSecret(client, { Name: track(uniqueName('unknown-fn')), SecretString: 'p' });
    for (const arn of [
      'arn:aws:lambda:us-east-1:ACCOUNT:function:strongroom-postgresql-single-user',
      'arn:aws:lambda:us-east-1:123456789012:function:x',
      LAMBDA.replace('strongroom-mysql-single-user', 'strongroom-mysql-single-usr'),
    ]) {
      await expectError(
        client.send(new RotateSecretCommand({ SecretId: secret.Name, RotationLambdaARN: arn, RotationRules: { AutomaticallyAfterDays: 7 } })),
        'AccessDeniedException',
        { message: 'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.' },
      );
    }
    const d = await client.send(new DescribeSecretCommand({ SecretId: secret.Name }));
    assert.notEqual(d.RotationEnabled, true);
    assert.equal(d.RotationLambdaARN, undefined);
    assert.deepEqual(Object.values(d.VersionIdsToStages ?? {}).flat(), ['AWSCURRENT']);
  });
});

describe('CancelRotateSecret', () => {
  it('turns rotation off but keeps the Lambda ARN and rules visible', async () => {
    const { Name, ARN } = await configureRotation('cancel');
    const out = await client.send(new CancelRotateSecretCommand({ SecretId: Name }));
    assert.equal(out.ARN, ARN);
    assert.equal(out.Name, Name);
    const d = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    assert.equal(d.RotationEnabled, false);
    assert.equal(d.RotationLambdaARN, LAMBDA);
    assert.equal(d.RotationRules?.AutomaticallyAfterDays, 7);
  });

  it('rotation can be turned on again afterwards without repeating the Lambda ARN', async () => {
    const { Name } = await configureRotation('reenable');
    await client.send(new CancelRotateSecretCommand({ SecretId: Name }));
    await client.send(new RotateSecretCommand({ SecretId: Name, RotationRules: { AutomaticallyAfterDays: 14 }, RotateImmediately: false }));
    const d = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    assert.equal(d.RotationEnabled, true);
    assert.equal(d.RotationLambdaARN, LAMBDA);
    assert.equal(d.RotationRules?.AutomaticallyAfterDays, 14);
  });

  it('reports an unknown secret with ResourceNotFoundException', async () => {
    await expectError(client.send(new CancelRotateSecretCommand({ SecretId: uniqueName('cancelmissing') })), 'ResourceNotFoundException', {
      message: MSG_NOT_FOUND,
    });
  });
});
