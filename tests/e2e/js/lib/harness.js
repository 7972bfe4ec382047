import { after } from 'node:test';
// Shared helpers for the Strongroom end-to-end tests.
//
// Contract: the server under test is reached at $STRONGROOM_ENDPOINT (e.g. http://127.0.0.1:4566),
// accepts the static key pair test/test, and many suites (other languages, other files) share it,
// so every secret name made here starts with a per-run prefix `js-<random8>/`.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  SecretsManagerClient,
  CreateSecretCommand,
  DeleteSecretCommand,
} from '@aws-sdk/client-secrets-manager';

export const ENDPOINT = process.env.STRONGROOM_ENDPOINT;

// The SDK warns once that releases after January 2027 will need Node 22; the pinned version
// supports Node 20 (our machines' version), so keep the warning out of the test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
export const REGION = 'us-east-1';
export const REPLICA_REGION = 'eu-west-1';

// AWS's exact wording (spec §3.2, §3.6, §3.4).
export const MSG_NOT_FOUND = "Secrets Manager can't find the specified secret.";
export const MSG_MARKED_FOR_DELETION =
  "You can't perform this operation on the secret because it was marked for deletion.";
export const msgAlreadyExists = (name) => `The operation failed because the secret ${name} already exists.`;

/** Eight random lowercase alphanumerics. */
export function random8() {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(8), (b) => alphabet[b % alphabet.length]).join('');
}

/** `n` random lowercase letters. */
export function randomLetters(n) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz';
  return Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
}

/** Prefix shared by every secret of this test process (one process per test file). */
export const RUN_PREFIX = `js-${random8()}/`;

let counter = 0;
/** A fresh, unique secret name under RUN_PREFIX; `label` only helps a human reading server logs. */
export function uniqueName(label = 'secret') {
  counter += 1;
  return `${RUN_PREFIX}${label}-${counter}-${random8()}`;
}

/** A fresh prefix (ending in '/') under RUN_PREFIX, for tests that list a group of secrets. */
export function uniquePrefix(label = 'group') {
  return `${RUN_PREFIX}${label}-${random8()}/`;
}

/** A ClientRequestToken: a UUID4 (36 chars, within the 32..64 range). */
export const newToken = () => randomUUID();

/** A Secrets Manager client for `region`, pointed at the server under test. */
export function makeClient(region = REGION) {
  if (!ENDPOINT) {
    // Fail, don't skip: a suite that silently tests nothing is worse than a red one.
    throw new Error('STRONGROOM_ENDPOINT is not set (e.g. STRONGROOM_ENDPOINT=http://127.0.0.1:4566 npm test)');
  }
  return new SecretsManagerClient({
    endpoint: ENDPOINT,
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

/**
 * Awaits `promise`, which must reject with an AWS service error of code `name`, HTTP status
 * `status` (400 unless told) and, when `message` is given, exactly that message (a string) or a
 * message matching it (a RegExp). Returns the error for further checks.
 */
export async function expectError(promise, name, { message, status = 400 } = {}) {
  let error;
  try {
    const result = await promise;
    assert.fail(`expected ${name} but the call succeeded: ${JSON.stringify(result, bigintSafe)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    error = e;
  }
  assert.equal(error.name, name, `error name (message: ${error.message})`);
  assert.ok(error.$metadata, `error has no $metadata: ${error}`);
  assert.equal(error.$metadata.httpStatusCode, status, 'HTTP status of the error');
  assert.ok(error.$metadata.requestId, 'errors carry x-amzn-RequestId too');
  if (typeof message === 'string') {
    assert.equal(error.message, message);
  } else if (message instanceof RegExp) {
    assert.match(error.message, message);
  }
  return error;
}

/** Like expectError, but any of `names` is accepted (used where AWS's exact code is not pinned down). */
export async function expectErrorOneOf(promise, names, { status = 400 } = {}) {
  let error;
  try {
    const result = await promise;
    assert.fail(`expected one of ${names.join(', ')} but the call succeeded: ${JSON.stringify(result, bigintSafe)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    error = e;
  }
  assert.ok(names.includes(error.name), `error name ${error.name} (${error.message}) not in ${names.join(', ')}`);
  assert.equal(error.$metadata?.httpStatusCode, status, 'HTTP status of the error');
  return error;
}

function bigintSafe(_key, value) {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Asserts `value` is a real JS Date within `toleranceMs` of `expectedMs` (default: now). */
export function assertDateNear(value, { expectedMs = Date.now(), toleranceMs = 120_000, what = 'date' } = {}) {
  assert.ok(value instanceof Date, `${what} should be a Date, got ${typeof value}: ${value}`);
  assert.ok(!Number.isNaN(value.getTime()), `${what} is an invalid Date`);
  const delta = Math.abs(value.getTime() - expectedMs);
  assert.ok(
    delta <= toleranceMs,
    `${what} ${value.toISOString()} is ${delta} ms away from ${new Date(expectedMs).toISOString()}`,
  );
}

/** Asserts `value` is a Date at 00:00 UTC of today (or yesterday, to survive a run across midnight). */
export function assertTodayUtcMidnight(value, what = 'date') {
  assert.ok(value instanceof Date, `${what} should be a Date, got ${typeof value}: ${value}`);
  const dayMs = 86_400_000;
  const today = Math.floor(Date.now() / dayMs) * dayMs;
  assert.ok(
    value.getTime() === today || value.getTime() === today - dayMs,
    `${what} ${value.toISOString()} is not 00:00 UTC of today`,
  );
}

/** ARN pattern of a secret in `region` (spec §3.1: name + '-' + 6 random letters/digits). */
export function arnPattern(name, region = REGION) {
  const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^arn:aws:secretsmanager:${region}:\\d{12}:secret:${escaped}-[A-Za-z0-9]{6}$`);
}

/** Creates a secret and returns the CreateSecret output (with `Name`). */
export async function createSecret(client, input = {}) {
  const Name = input.Name ?? uniqueName();
  const out = await client.send(new CreateSecretCommand({ ...input, Name }));
  return { ...out, Name };
}

/** Best-effort removal, for after() hooks; never throws. */
/** A client for one test file; every name passed to track() is force-deleted after the file's tests. */
export function suiteClient(region = REGION) {
  const client = makeClient(region);
  const created = [];
  after(async () => {
    await Promise.all(created.map((n) => forceDelete(client, n)));
    client.destroy();
  });
  const track = (name) => {
    created.push(name);
    return name;
  };
  return { client, created, track };
}

export async function forceDelete(client, secretId) {
  try {
    await client.send(new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }));
  } catch {
    // Cleanup only: the test itself already passed or failed on its own assertions.
  }
}

/** Sorts a tag list by key (code-point order, so 'Team' < 'env'), for order-independent comparisons. */
export const sortTags = (tags = []) => [...tags].sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes; returns the last value. */
export async function eventually(fn, { timeoutMs = 10_000, intervalMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last || Date.now() >= deadline) return last;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
