// The console in Chromium against a real server, signed in as the admin: secrets (create with the key/value editor,
// reveal on click — found in the audit view —, put a value and watch versions and stages move, move a label, tags,
// delete and restore), access (resource policy with validation, who can read), parameters, KMS keys, audit and the
// chain check; axe-core on each main page, 360 px, dark theme, keyboard, time zone. Screenshots for docs/console.md.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { axe, client, createUser, launchBrowser, screenshot, signIn, startServer } from '../lib/harness.js';

const PASSWORD = 'S3cret-Console-Value-1';

/** Console errors other than the browser's own line for an HTTP error answer (AccessDenied and the like are expected). */
const realProblems = (page) => page.problems.filter((p) => !/Failed to load resource: the server responded with a status of (400|403|404)/.test(p));

describe('the console as the admin', () => {
  let server;
  let admin;
  let browser;
  let page;
  const calls = [];

  before(async () => {
    server = await startServer();
    admin = await client(server.endpoint, server.admin);
    await admin.json('ssm', 'PutParameter', { Name: '/app/db/host', Value: 'db.internal', Type: 'String' });
    await admin.json('ssm', 'PutParameter', { Name: '/app/db/password', Value: 'Param-Secure-Plaintext-7', Type: 'SecureString' });
    await admin.json('ssm', 'PutParameter', { Name: '/app/feature/flags', Value: 'a,b', Type: 'StringList' });
    const key = await admin.json('kms', 'CreateKey', { Description: 'console test key' });
    await admin.json('kms', 'CreateAlias', { AliasName: 'alias/console-test-key', TargetKeyId: key.KeyMetadata.KeyId });
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('request', (r) => r.method() === 'POST' && calls.push(r.headers()['x-amz-target'] ?? r.postData()?.match(/Action=(\w+)/)?.[1]));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs in with the pinned labels; the secrets list passes axe', async () => {
    await signIn(page, server.consoleUrl, server.admin);
    assert.match(await page.getByTestId('principal').textContent(), /^arn:aws:iam::\d{12}:user\/admin$/);
    await page.getByTestId('secrets-table').waitFor();
    assert.deepEqual(await axe(page), []);
  });

  it('creates a secret with the key/value editor, a tag and the default key', async () => {
    await page.getByRole('link', { name: 'Create a secret' }).click();
    await page.getByLabel('Name', { exact: true }).fill('app/db');
    await page.getByLabel('Description').fill('Database login of the app');
    await page.getByLabel('Key 1', { exact: true }).fill('username');
    await page.getByLabel('Value 1', { exact: true }).fill('app');
    await page.getByRole('button', { name: 'Add a row' }).click();
    await page.getByLabel('Key 2', { exact: true }).fill('password');
    await page.getByLabel('Value 2', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Add a tag' }).click();
    await page.getByLabel('Tag key 1').fill('team');
    await page.getByLabel('Tag value 1').fill('payments');
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'create-secret');
    await page.getByRole('button', { name: 'Create secret' }).click();
    await page.getByRole('heading', { level: 1, name: 'app/db' }).waitFor();
    const stored = await admin.json('secretsmanager', 'GetSecretValue', { SecretId: 'app/db' });
    assert.deepEqual(JSON.parse(stored.SecretString), { username: 'app', password: PASSWORD });
    const described = await admin.json('secretsmanager', 'DescribeSecret', { SecretId: 'app/db' });
    assert.deepEqual(described.Tags, [{ Key: 'team', Value: 'payments' }]);
    assert.equal(described.Description, 'Database login of the app');
  });

  it('lists the secret by name as a link, and finds it by tag', async () => {
    await page.goto(`${server.consoleUrl}#/secrets`);
    await page.getByRole('link', { name: 'app/db', exact: true }).waitFor();
    await page.getByLabel('Search in').selectOption('tag-value');
    await page.getByLabel('Search for').fill('pay');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('matching “pay”').waitFor();
    assert.equal(await page.getByRole('link', { name: 'app/db', exact: true }).count(), 1);
    await page.getByLabel('Search for').fill('nomatch');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No secrets match.').waitFor();
  });

  it('reveals the value only on an explicit click, and that GetSecretValue is in the audit view', async () => {
    await page.goto(`${server.consoleUrl}#/secret/app%2Fdb`);
    await page.getByRole('button', { name: 'Reveal value' }).waitFor();
    assert.equal(calls.filter((c) => c === 'secretsmanager.GetSecretValue').length, 0, 'no GetSecretValue before the click');
    assert.ok(!(await page.content()).includes(PASSWORD));
    await page.getByRole('button', { name: 'Reveal value' }).click();
    assert.match(await page.getByTestId('secret-value').textContent(), new RegExp(PASSWORD));
    assert.equal(calls.filter((c) => c === 'secretsmanager.GetSecretValue').length, 1);
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'secret');
    await page.getByRole('button', { name: 'Hide value' }).click();
    assert.equal(await page.getByTestId('secret-value').count(), 0);

    await page.getByRole('link', { name: 'Who used this secret: its audit trail' }).click();
    const rows = page.locator('tr[data-event="GetSecretValue"]');
    await rows.first().waitFor();
    // Two reads of this secret so far: the test's own check after creating it, then the click (newest first).
    assert.equal(await rows.count(), 2);
    const row = rows.first();
    assert.match(await row.textContent(), /admin/);
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'audit');
    await row.getByRole('link').click();
    const record = await page.getByTestId('audit-record').textContent();
    assert.match(record, /"eventName": "GetSecretValue"/);
    assert.match(record, /"userName": "admin"/);
    assert.match(record, /"userAgent": "[^"]*HeadlessChrome/, 'the record of the click in the browser');
    assert.ok(!record.includes(PASSWORD), 'no secret value in an audit record');
    assert.deepEqual(await axe(page), []);
  });

  it('puts a new value, and the versions and stages move; a label moves back', async () => {
    const before = await admin.json('secretsmanager', 'DescribeSecret', { SecretId: 'app/db' });
    const [firstVersion] = Object.keys(before.VersionIdsToStages);
    await page.goto(`${server.consoleUrl}#/secret/app%2Fdb`);
    await page.getByRole('radio', { name: 'Plain text' }).check();
    await page.getByLabel('Secret value').fill('second-value-Console');
    await page.getByRole('button', { name: 'Save new value' }).click();
    const done = await page.getByRole('status').filter({ hasText: 'Saved as version' }).textContent();
    const secondVersion = /version ([0-9a-f-]{36})/.exec(done)[1];
    assert.match(done, /AWSCURRENT/);

    await page.getByRole('link', { name: 'Versions' }).click();
    const stagesOf = async (version) => (await page.locator(`tr[data-version="${version}"] td.stages`).textContent()).trim();
    await page.locator(`tr[data-version="${secondVersion}"]`).waitFor();
    assert.equal(await stagesOf(secondVersion), 'AWSCURRENT');
    assert.equal(await stagesOf(firstVersion), 'AWSPREVIOUS');
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'versions');

    await page.getByLabel('Label').fill('AWSCURRENT');
    await page.getByLabel('Move to version').selectOption(firstVersion);
    await page.getByRole('button', { name: 'Move label' }).click();
    await page.getByRole('status').filter({ hasText: `AWSCURRENT is now on version ${firstVersion}` }).waitFor();
    await page.waitForFunction((v) => document.querySelector(`tr[data-version="${v}"] td.stages`)?.textContent?.includes('AWSCURRENT'), firstVersion);
    assert.match(await stagesOf(secondVersion), /AWSPREVIOUS/);
    const value = await admin.json('secretsmanager', 'GetSecretValue', { SecretId: 'app/db' });
    assert.equal(value.VersionId, firstVersion);
  });

  it('edits tags', async () => {
    await page.goto(`${server.consoleUrl}#/secret/app%2Fdb/tags`);
    await page.getByLabel('Tag value 1').fill('platform');
    await page.getByRole('button', { name: 'Add a tag' }).click();
    await page.getByLabel('Tag key 2').fill('env');
    await page.getByLabel('Tag value 2').fill('prod');
    await page.getByRole('button', { name: 'Save tags' }).click();
    await page.getByRole('status').filter({ hasText: 'Tags saved' }).waitFor();
    const tags = (await admin.json('secretsmanager', 'DescribeSecret', { SecretId: 'app/db' })).Tags;
    assert.deepEqual([...tags].sort((a, b) => a.Key.localeCompare(b.Key)), [
      { Key: 'env', Value: 'prod' },
      { Key: 'team', Value: 'platform' },
    ]);
  });

  it('validates and saves a resource policy, and tells who can read the secret', async () => {
    await createUser(admin, 'app-reader', { Version: '2012-10-17', Statement: [{ Sid: 'ReadApp', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:*:*:secret:app/*' }] });
    await createUser(admin, 'outsider', null);
    // Roles too: one whose policy allows reading app/*, one with no policy at all.
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] });
    for (const role of ['app-role', 'idle-role']) await admin.query('iam', 'CreateRole', { RoleName: role, AssumeRolePolicyDocument: trust });
    await admin.query('iam', 'PutRolePolicy', { RoleName: 'app-role', PolicyName: 'read-app', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'RoleReadsApp', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:*:*:secret:app/*' }] }) });
    await page.goto(`${server.consoleUrl}#/secret/app%2Fdb/access`);
    await page.getByText('This secret has no resource policy.').waitFor();
    const policyBox = page.getByLabel('Policy document (JSON)');
    await policyBox.fill('{"Version": "2012-10-17", "Statement": [');
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.locator('.alert.error, .alert').filter({ hasText: /not valid|MalformedPolicyDocument/ }).first().waitFor();
    const account = (await page.getByTestId('principal').textContent()).split(':')[4];
    const policy = { Version: '2012-10-17', Statement: [{ Sid: 'DenyOutsider', Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${account}:user/outsider` }, Action: 'secretsmanager:*', Resource: '*' }] };
    await policyBox.fill(JSON.stringify(policy));
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByText('The policy is valid.').waitFor();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('The resource policy was saved.').waitFor();
    assert.equal(JSON.parse((await admin.json('secretsmanager', 'GetResourcePolicy', { SecretId: 'app/db' })).ResourcePolicy).Statement[0].Sid, 'DenyOutsider');

    await page.getByRole('button', { name: 'Check who can read this secret' }).click();
    const table = page.getByTestId('who-can-read');
    await table.getByText('users and roles may read the value').waitFor();
    await page.waitForFunction(() => !document.querySelector('[data-testid="who-can-read"]')?.textContent?.includes('…'));
    const rowText = async (user) => (await table.locator('tr', { has: page.getByRole('cell', { name: user, exact: true }) }).textContent()) ?? '';
    assert.match(await rowText('admin'), /Can read/);
    assert.match(await rowText('app-reader'), /User.*Can read.*ReadApp/);
    assert.match(await rowText('outsider'), /Denied.*DENY \(explicit\).*"DenyOutsider" of resource policy/);
    assert.match(await rowText('app-role'), /Role.*Can read.*:role\/app-role → .*"RoleReadsApp" of role\/app-role inline policy read-app/);
    assert.match(await rowText('idle-role'), /Role.*Cannot read.*DENY \(implicit\)/);
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'access', { at: page.getByRole('heading', { name: 'Who can read this?' }) });
  });

  it('deletes with a recovery window, then restores', async () => {
    await page.goto(`${server.consoleUrl}#/secret/app%2Fdb/delete`);
    await page.getByLabel('Recovery window in days').fill('7');
    const remove = page.getByRole('button', { name: 'Delete secret' });
    assert.equal(await remove.isDisabled(), true, 'disabled until the name is typed');
    await page.getByLabel("Type the secret's name (app/db) to confirm").fill('app/db');
    await remove.click();
    await page.getByText('scheduled for deletion on').first().waitFor();
    const deleted = await admin.json('secretsmanager', 'DescribeSecret', { SecretId: 'app/db' });
    assert.ok(deleted.DeletedDate);
    assert.ok(Math.abs(deleted.DeletedDate * 1000 - Date.now() - 7 * 86400_000) < 120_000);
    await page.getByRole('button', { name: 'Restore secret' }).click();
    await page.getByText('The secret was restored.').waitFor();
    assert.equal((await admin.json('secretsmanager', 'DescribeSecret', { SecretId: 'app/db' })).DeletedDate, undefined);
  });

  it('shows parameters as a tree and reveals a SecureString only on click', async () => {
    await page.getByRole('link', { name: 'Parameters' }).click();
    const tree = page.getByRole('navigation', { name: 'Parameter hierarchy' });
    await tree.getByRole('button', { name: /db/ }).click();
    await tree.getByRole('button', { name: 'password', exact: true }).click();
    const details = page.getByTestId('parameter-details');
    await details.getByText('SecureString').waitFor();
    assert.equal(calls.filter((c) => c === 'AmazonSSM.GetParameter').length, 0);
    assert.ok(!(await page.content()).includes('Param-Secure-Plaintext-7'));
    await details.getByRole('button', { name: 'Reveal value' }).click();
    assert.equal(await page.getByTestId('parameter-value').textContent(), 'Param-Secure-Plaintext-7');
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'parameters');
  });

  it('lists KMS keys with state and key rotation; disables and enables a customer key', async () => {
    await page.getByRole('link', { name: 'KMS keys' }).click();
    const row = page.getByTestId('keys-table').locator('tr', { hasText: 'console-test-key' });
    await row.waitFor();
    assert.match(await row.textContent(), /Enabled/);
    assert.match(await row.textContent(), /Off/);
    await row.getByRole('button', { name: 'Disable console-test-key' }).click();
    await page.getByText('Disabled console-test-key.').waitFor();
    await row.getByText('Disabled', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Enable console-test-key' }).click();
    await page.getByText('Enabled console-test-key.').waitFor();
    await row.getByRole('button', { name: 'Turn key rotation on for console-test-key' }).click();
    await row.getByText('On (yearly)').waitFor();
    const aliases = (await admin.json('kms', 'ListAliases', {})).Aliases;
    const keyId = aliases.find((a) => a.AliasName === 'alias/console-test-key').TargetKeyId;
    assert.equal((await admin.json('kms', 'DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState, 'Enabled');
    assert.equal((await admin.json('kms', 'GetKeyRotationStatus', { KeyId: keyId })).KeyRotationEnabled, true);
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'keys');
  });

  it('searches the trail by user, event name and time, and verifies the chain', async () => {
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('Search by').selectOption('EventName');
    await page.getByLabel('Value').fill('DisableKey');
    await page.getByRole('button', { name: 'Last hour' }).click();
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="audit-table"] tbody tr')];
      return rows.length > 0 && rows.every((r) => r.getAttribute('data-event') === 'DisableKey');
    });
    await page.getByLabel('Search by').selectOption('Username');
    await page.getByLabel('Value').fill('nobody-at-all');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No events match.').waitFor();
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    assert.match(await page.getByTestId('chain-status').textContent(), /Verified.*verified \d+ records/);
  });

  it('shows times in the browser’s time zone', async () => {
    await page.goto(`${server.consoleUrl}#/secret/app%2Fdb`);
    const created = await page.locator('dd time').first().textContent();
    // The test browser runs in Europe/Berlin (harness): CET or CEST, never UTC.
    assert.match(created, /\b(CET|CEST)\b/);
  });

  it('keeps to 360 px without page-wide horizontal scrolling', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    for (const hash of ['#/secrets', '#/secret/app%2Fdb', '#/secret/app%2Fdb/versions', '#/create-secret', '#/rotation', '#/parameters', '#/keys', '#/audit']) {
      await page.goto(`${server.consoleUrl}${hash}`);
      await page.locator('main h1').waitFor();
      await page.waitForLoadState('networkidle');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, `${hash}: the page is ${width} px wide`);
    }
    await page.goto(`${server.consoleUrl}#/secret/app%2Fdb`);
    await page.getByRole('button', { name: 'Reveal value' }).waitFor();
    await screenshot(page, 'mobile');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('follows a dark system theme, still passing axe (contrast included)', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${server.consoleUrl}#/secrets`);
    await page.getByTestId('secrets-table').waitFor();
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(13, 17, 23)');
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'dark');
    await page.emulateMedia({ colorScheme: 'light' });
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(255, 255, 255)');
  });

  it('the rotation page passes axe', async () => {
    await page.goto(`${server.consoleUrl}#/rotation`);
    await page.getByTestId('rotation-overview').waitFor();
    assert.deepEqual(await axe(page), []);
  });

  it('signs in, moves around and opens a page with the keyboard, with a visible focus ring', async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(server.consoleUrl);
    await page.getByLabel('Access key ID').waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'access-key-id');
    await page.keyboard.type(server.admin.accessKeyId);
    await page.keyboard.press('Tab');
    await page.keyboard.type(server.admin.secretAccessKey);
    await page.keyboard.press('Enter');
    await page.getByTestId('principal').waitFor();
    // The page's heading has focus after sign-in; the navigation is before it: Shift+Tab walks back to it.
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim());
    for (let i = 0; i < 12 && (await focused()) !== 'Audit'; i++) await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(), 'Audit');
    const outline = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement);
      return { style: style.outlineStyle, width: style.outlineWidth };
    });
    assert.notEqual(outline.style, 'none');
    assert.notEqual(outline.width, '0px');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Audit trail' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1', 'focus moves to the new page’s heading');
    await page.close();
  });

  it('had no script errors', () => {
    assert.deepEqual(realProblems(page), []);
  });
});
