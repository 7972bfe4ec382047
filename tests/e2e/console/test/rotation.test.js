// Rotation from the console: the admin registers command functions, a secret's rotation is configured with one,
// "Rotate now" runs it and the run shows succeeded step by step; a failing function's run shows its error and the
// secret's health turns to failing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { axe, client, launchBrowser, root, screenshot, signIn, startServer } from '../lib/harness.js';

const rotator = join(root, 'tests', 'e2e', 'console', 'functions', 'rotator.py');

describe('rotation in the console', () => {
  let server;
  let admin;
  let browser;
  let page;

  before(async () => {
    server = await startServer();
    admin = await client(server.endpoint, server.admin);
    await admin.json('secretsmanager', 'CreateSecret', { Name: 'rot/app', SecretString: '{"password":"initial"}', ClientRequestToken: crypto.randomUUID() });
    await admin.json('secretsmanager', 'CreateSecret', { Name: 'rot/failing', SecretString: '{"password":"initial"}', ClientRequestToken: crypto.randomUUID() });
    browser = await launchBrowser();
    page = await browser.newPage();
    await signIn(page, server.consoleUrl, server.admin);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the admin registers a command function and a failing one on the rotation page', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rotation' }).click();
    for (const [name, command] of [
      ['console-rotator', `python3 ${rotator}`],
      ['console-failing', 'echo "database refused the new password" >&2; exit 3'],
    ]) {
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByRole('radio', { name: 'Command (event on stdin)' }).check();
      await page.getByLabel('Command', { exact: true }).fill(command);
      await page.getByLabel('Timeout per step (seconds)').fill('60');
      await page.getByRole('button', { name: 'Register function' }).click();
      await page.getByText(`Created arn:aws:lambda:us-east-1:`).filter({ hasText: name }).waitFor();
    }
    const functions = page.getByTestId('rotation-functions');
    await functions.getByText('console-rotator', { exact: true }).waitFor();
    assert.equal((await admin.json('strongroom', 'ListRotationFunctions', {})).Functions.length, 2);
  });

  it('configures a rotation with the command function, rotates now and watches the run succeed', async () => {
    await page.goto(`${server.consoleUrl}#/secret/rot%2Fapp/rotation`);
    await page.getByTestId('rotation-health').filter({ hasText: 'Off' }).waitFor();
    await page.getByLabel('Registered functions').selectOption({ label: 'console-rotator (command)' });
    await page.getByRole('radio', { name: 'rate() or cron() expression' }).check();
    await page.getByLabel('Schedule expression').fill('rate(10 days)');
    await page.getByLabel('Window').fill('3h');
    await page.getByRole('button', { name: 'Save rotation settings' }).click();
    await page.getByText('Rotation is configured.').waitFor();
    const configured = await admin.json('secretsmanager', 'DescribeSecret', { SecretId: 'rot/app' });
    assert.equal(configured.RotationEnabled, true);
    assert.match(configured.RotationLambdaARN, /function:console-rotator$/);
    assert.deepEqual(configured.RotationRules, { ScheduleExpression: 'rate(10 days)', Duration: '3h' });
    const before = (await admin.json('secretsmanager', 'GetSecretValue', { SecretId: 'rot/app' })).VersionId;
    // Configuring without rotating now runs testSecret once (as AWS does); the page follows it to the end.
    await page.getByTestId('rotation-runs').locator('tr', { hasText: 'TestRotation' }).filter({ hasText: 'Succeeded' }).waitFor({ timeout: 120_000 });

    await page.getByRole('button', { name: 'Rotate now' }).click();
    const runs = page.getByTestId('rotation-runs');
    const succeeded = runs.locator('tr', { hasText: 'RotateSecret' }).filter({ hasText: 'Succeeded' });
    await succeeded.first().waitFor({ timeout: 120_000 });
    assert.match(await succeeded.first().textContent(), /finishSecret/);
    await page.getByTestId('rotation-health').filter({ hasText: 'Healthy' }).waitFor({ timeout: 15_000 });
    const after = await admin.json('secretsmanager', 'GetSecretValue', { SecretId: 'rot/app' });
    assert.notEqual(after.VersionId, before);
    assert.notEqual(JSON.parse(after.SecretString).password, 'initial');
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'rotation', { docs: false });
  });

  it('a failing function shows its run’s error and the secret turns failing', async () => {
    await page.goto(`${server.consoleUrl}#/secret/rot%2Ffailing/rotation`);
    await page.getByTestId('rotation-health').filter({ hasText: 'Off' }).waitFor();
    await page.getByLabel('Registered functions').selectOption({ label: 'console-failing (command)' });
    await page.getByRole('radio', { name: 'Every number of days' }).check();
    await page.getByLabel('Days between rotations').fill('30');
    await page.getByRole('checkbox', { name: 'Rotate immediately' }).check();
    await page.getByRole('button', { name: 'Save rotation settings' }).click();
    await page.getByText('Rotation is configured and a rotation started.').waitFor();
    // Two attempts (the test server's --rotation-attempts 2), each failing at createSecret; then it is abandoned until the next window.
    const runs = page.getByTestId('rotation-runs');
    await runs.locator('tr', { hasText: 'Abandoned' }).waitFor({ timeout: 120_000 });
    const failed = runs.locator('tr', { hasText: 'the command exited with status 3' });
    assert.equal(await failed.count(), 2);
    for (const row of await failed.all()) assert.match(await row.textContent(), /createSecret.*(Failed|Abandoned)/);
    await page.getByTestId('rotation-health').filter({ hasText: 'Failing' }).waitFor({ timeout: 15_000 });
    assert.match(await page.getByTestId('rotation-health-panel').textContent(), /createSecret: the command exited with status 3\./);
    // The failed rotation left AWSCURRENT as it was.
    assert.equal(JSON.parse((await admin.json('secretsmanager', 'GetSecretValue', { SecretId: 'rot/failing' })).SecretString).password, 'initial');
    await screenshot(page, 'rotation-failing');
  });

  it('the overview shows each rotating secret’s health', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rotation' }).click();
    const overview = page.getByTestId('rotation-overview');
    await overview.waitFor();
    const row = (name) => overview.locator('tr', { has: page.getByRole('link', { name, exact: true }) });
    await row('rot/app').getByText('Healthy', { exact: true }).waitFor();
    await row('rot/failing').getByText('Failing', { exact: true }).waitFor();
    assert.match(await row('rot/failing').textContent(), /exited with status 3/);
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'rotation-overview');
  });

  it('the secrets list shows each secret’s rotation health, failing ones with their streak', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Secrets' }).click();
    const table = page.getByTestId('secrets-table');
    await table.waitFor();
    const row = (name) => table.locator('tr', { has: page.getByRole('link', { name, exact: true }) });
    await row('rot/failing').getByText('Failing', { exact: true }).waitFor();
    // Two attempts, both failed (the second abandoned): the column says so, and its title carries the error.
    assert.match(await row('rot/failing').textContent(), /Failing\s*2 failures in a row/);
    assert.match(await row('rot/failing').locator('[title]').getAttribute('title'), /exited with status 3/);
    await row('rot/app').getByText('Healthy', { exact: true }).waitFor();
    assert.doesNotMatch(await row('rot/app').textContent(), /fail/i);
    assert.deepEqual(await axe(page), []);
  });
});
