// The console's own logic: routes, rotation health, the key/value editor, the parameter tree, time formatting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { href, parseRoute } from '../src/router.ts';
import { rotationHealth, type RotationRun } from '../src/health.ts';
import { fromRows, rowProblems, toRows } from '../src/kv.ts';
import { buildTree, countParameters } from '../src/tree.ts';
import { formatDay, formatTime, fromLocalInput, relative } from '../src/format.ts';

test('routes: every page round-trips through its hash; names with / and odd characters stay one segment', () => {
  const routes = [
    { page: 'secrets', filterKey: 'all', q: '' },
    { page: 'secrets', filterKey: 'tag-value', q: 'pay ments&x=1' },
    { page: 'create-secret' },
    { page: 'secret', id: 'prod/db/app', tab: 'overview' },
    { page: 'secret', id: 'a+b=c@d.e-f_g', tab: 'versions' },
    { page: 'secret', id: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/x-AbCdEf', tab: 'rotation' },
    { page: 'rotation' },
    { page: 'parameters' },
    { page: 'keys' },
    { page: 'audit', attribute: 'Username', value: 'alice', start: '2026-01-01T10:00', end: '' },
    { page: 'audit', attribute: 'ResourceName', value: '', start: '', end: '' },
    { page: 'audit-event', eventId: '0190a3e2-0000-7000-8000-000000000001' },
  ] as const;
  for (const route of routes) {
    assert.deepEqual(parseRoute(href(route)), route, href(route));
  }
  assert.equal(href({ page: 'secret', id: 'prod/db', tab: 'overview' }), '#/secret/prod%2Fdb');
});

test('routes: the empty hash is the secrets list; unknown, malformed or over-long paths are not found', () => {
  assert.deepEqual(parseRoute(''), { page: 'secrets', filterKey: 'all', q: '' });
  assert.deepEqual(parseRoute('#/'), { page: 'secrets', filterKey: 'all', q: '' });
  for (const bad of ['#/nope', '#/secret', '#/secret/x/notatab', '#/secret/%E0%A4%A', '#/keys/extra', '#/audit/event', '#/secret/a/b/c']) {
    assert.equal(parseRoute(bad).page, 'not-found', bad);
  }
});

const run = (over: Partial<RotationRun>): RotationRun => ({ RunId: 1, SecretArn: 'arn', VersionId: 'v', Trigger: 'RotateSecret', Attempt: 1, Outcome: 'Succeeded', StartedDate: 1000, FinishedDate: 1010, ...over });
const now = new Date(2_000_000 * 1000);

test('health: off, scheduled, healthy, running', () => {
  assert.equal(rotationHealth({ RotationEnabled: false }, [run({})], now).state, 'disabled');
  assert.equal(rotationHealth({ RotationEnabled: true, NextRotationDate: 2_000_100 }, [], now).state, 'scheduled');
  const healthy = rotationHealth({ RotationEnabled: true, NextRotationDate: 2_000_100 }, [run({ FinishedDate: 1_999_000 })], now);
  assert.equal(healthy.state, 'healthy');
  assert.equal(healthy.lastSuccess?.getTime(), 1_999_000_000);
  assert.equal(healthy.nextDue?.getTime(), 2_000_100_000);
  assert.equal(rotationHealth({ RotationEnabled: true }, [run({ RunId: 2, StartedDate: 1_999_999, Outcome: 'Running', StepReached: 'setSecret' })], now).summary, 'A rotation is running (attempt 1, at setSecret).');
});

test('health: failing when the newest run failed, even with an older success; the newest error is shown', () => {
  const runs = [run({ RunId: 1, StartedDate: 1000 }), run({ RunId: 3, StartedDate: 3000, Outcome: 'Abandoned', StepReached: 'createSecret', Error: 'createSecret: boom' }), run({ RunId: 2, StartedDate: 2000, Outcome: 'Failed', Error: 'older' })];
  const h = rotationHealth({ RotationEnabled: true, NextRotationDate: 2_000_100 }, runs, now);
  assert.equal(h.state, 'failing');
  assert.equal(h.lastError, 'createSecret: boom');
  assert.equal(h.lastSuccess?.getTime(), 1_010_000);
  assert.equal(h.summary, 'The last rotation abandoned at createSecret (2 failed runs in a row).');
  assert.equal(h.consecutiveFailures, 2);
  // A success newer than the failures ends the streak; a running run and a test rotation do not count.
  const recovered = rotationHealth({ RotationEnabled: true, NextRotationDate: 2_000_100 }, [...runs, run({ RunId: 4, StartedDate: 4000 }), run({ RunId: 5, StartedDate: 5000, Outcome: 'Running' })], now);
  assert.equal(recovered.state, 'running');
  assert.equal(recovered.consecutiveFailures, 0);
  const once = rotationHealth({ RotationEnabled: true }, [run({ RunId: 1, StartedDate: 1000 }), run({ RunId: 2, StartedDate: 2000, Outcome: 'Failed', Error: 'e' }), run({ RunId: 3, StartedDate: 3000, Trigger: 'TestRotation', Outcome: 'Failed' })], now);
  assert.equal(once.consecutiveFailures, 1);
});

test('health: overdue only past the grace period; a succeeded test rotation is not a rotation', () => {
  assert.equal(rotationHealth({ RotationEnabled: true, NextRotationDate: 2_000_000 - 3599 }, [run({})], now).state, 'healthy');
  assert.equal(rotationHealth({ RotationEnabled: true, NextRotationDate: 2_000_000 - 3601 }, [run({})], now).state, 'overdue');
  const tested = rotationHealth({ RotationEnabled: true, NextRotationDate: 2_000_100 }, [run({ Trigger: 'TestRotation' })], now);
  assert.equal(tested.state, 'scheduled');
  assert.equal(tested.lastSuccess, undefined);
  assert.equal(rotationHealth({ RotationEnabled: true, LastRotatedDate: 1500 }, [], now).lastSuccess?.getTime(), 1_500_000);
});

test('key/value editor: flat JSON objects become rows and back; anything else stays text', () => {
  assert.deepEqual(toRows('{"username":"app","password":"p\\"w","port":5432,"tls":true}'), [
    { key: 'username', value: 'app' },
    { key: 'password', value: 'p"w' },
    { key: 'port', value: '5432' },
    { key: 'tls', value: 'true' },
  ]);
  for (const text of ['plain', '', '[1,2]', 'null', '"s"', '{"nested":{"a":1}}', '{"list":[1]}', '{"n":null}', '{bad json']) {
    assert.equal(toRows(text), null, text);
  }
  assert.equal(fromRows([{ key: 'a', value: '1' }, { key: 'b', value: '<script>' }]), '{"a":"1","b":"<script>"}');
  assert.deepEqual(toRows(fromRows([{ key: 'k', value: 'v\n2' }])), [{ key: 'k', value: 'v\n2' }]);
});

test('key/value editor: empty and repeated keys are named, row by row', () => {
  assert.deepEqual(rowProblems([{ key: 'a', value: '' }, { key: '', value: 'x' }, { key: 'a', value: 'y' }]), ['Row 2: the key is empty.', 'Row 3: the key "a" is used twice.']);
  assert.deepEqual(rowProblems([{ key: 'a', value: '' }]), []);
});

test('parameter tree: paths nest, leaves carry their parameter, a name can be both a parameter and a folder', () => {
  const tree = buildTree([
    { Name: '/app/db/password', Type: 'SecureString' },
    { Name: '/app/db/host', Type: 'String' },
    { Name: '/app/db', Type: 'String' },
    { Name: '/z', Type: 'StringList' },
    { Name: 'toplevel', Type: 'String' },
  ]);
  assert.deepEqual(tree.children.map((c) => c.name), ['app', 'toplevel', 'z']);
  const app = tree.children[0]!;
  const db = app.children[0]!;
  assert.equal(db.path, '/app/db');
  assert.deepEqual(db.parameter, { name: '/app/db', type: 'String' });
  assert.deepEqual(db.children.map((c) => [c.name, c.parameter?.type]), [['host', 'String'], ['password', 'SecureString']]);
  assert.equal(tree.children[1]!.path, 'toplevel');
  assert.equal(countParameters(tree), 5);
  assert.equal(countParameters(app), 3);
});

test('times: shown in the given zone with its name; relative distances; datetime-local input', () => {
  const t = new Date(Date.UTC(2026, 0, 15, 12, 0, 0));
  assert.match(formatTime(t, 'Europe/Berlin', 'en-GB'), /15 Jan 2026, 13:00:00 CET/);
  assert.match(formatTime(t, 'America/New_York', 'en-US'), /Jan 15, 2026, 07:00:00 AM EST/);
  assert.match(formatTime(t, 'UTC', 'en-GB'), /12:00:00 UTC/);
  assert.equal(formatTime(undefined), '—');
  assert.equal(formatTime(new Date(NaN)), '—');
  assert.equal(relative(new Date(t.getTime() + 3 * 86_400_000), t, 'en'), 'in 3 days');
  assert.equal(relative(new Date(t.getTime() - 5 * 60_000), t, 'en'), '5 minutes ago');
  assert.equal(relative(t, t, 'en'), 'now');
  assert.equal(formatDay(new Date(Date.UTC(2026, 11, 7)), 'en-GB'), '07 Dec 2026');
  assert.equal(formatDay(undefined), '—');
  assert.equal(fromLocalInput(''), undefined);
  assert.equal(fromLocalInput('not a date'), undefined);
  assert.ok(fromLocalInput('2026-01-15T12:00') instanceof Date);
});
