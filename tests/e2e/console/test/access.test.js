// What the console may not do: a user allowed only prod/* sees AccessDenied, plainly, on another secret and never
// its value; sign-out leaves nothing of the key in any storage of the page; the CSP blocks injected inline script;
// markup in a secret's description or value is shown as text; temporary credentials sign in with their token.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { axe, client, createUser, launchBrowser, screenshot, signIn, startServer, storageSnapshot, xmlText } from '../lib/harness.js';

const OTHER_VALUE = 'Never-Shown-To-Prod-Reader-42';
const XSS_SCRIPT = '<script>window.__xss = 1</script>';
const XSS_IMG = '<img src=x onerror="window.__xss = 2">';

describe('access limits, storage and hostile content', () => {
  let server;
  let admin;
  let browser;
  let prodReader;

  before(async () => {
    server = await startServer();
    admin = await client(server.endpoint, server.admin);
    await admin.json('secretsmanager', 'CreateSecret', { Name: 'prod/api', SecretString: 'prod-value-visible', ClientRequestToken: crypto.randomUUID() });
    await admin.json('secretsmanager', 'CreateSecret', { Name: 'dev/other', SecretString: OTHER_VALUE, ClientRequestToken: crypto.randomUUID() });
    await admin.json('secretsmanager', 'CreateSecret', { Name: 'xss/probe', Description: `${XSS_SCRIPT} ${XSS_IMG}`, SecretString: `${XSS_SCRIPT}${XSS_IMG}`, ClientRequestToken: crypto.randomUUID() });
    prodReader = await createUser(admin, 'prod-reader', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'secretsmanager:ListSecrets', Resource: '*' },
        { Effect: 'Allow', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:ListSecretVersionIds'], Resource: 'arn:aws:secretsmanager:*:*:secret:prod/*' },
      ],
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a user allowed only prod/* reads prod/api, sees AccessDenied on dev/other and never its value', async () => {
    const page = await browser.newPage();
    const bodies = [];
    page.on('response', async (r) => r.request().method() === 'POST' && bodies.push(await r.text().catch(() => '')));
    await signIn(page, server.consoleUrl, prodReader);
    assert.match(await page.getByTestId('principal').textContent(), /user\/prod-reader$/);
    await page.getByRole('link', { name: 'prod/api', exact: true }).click();
    await page.getByRole('button', { name: 'Reveal value' }).click();
    assert.equal(await page.getByTestId('secret-value').textContent(), 'prod-value-visible');

    await page.goto(`${server.consoleUrl}#/secret/dev%2Fother`);
    const denied = page.getByRole('alert').filter({ hasText: 'AccessDeniedException' }).first();
    await denied.waitFor();
    assert.match(await denied.textContent(), /AccessDeniedException: User: arn:aws:iam::\d{12}:user\/prod-reader is not authorized to perform: secretsmanager:DescribeSecret on resource: /);
    await page.getByRole('button', { name: 'Reveal value' }).click();
    await page.getByRole('alert').filter({ hasText: 'secretsmanager:GetSecretValue' }).waitFor();
    assert.equal(await page.getByTestId('secret-value').count(), 0);
    assert.ok(!(await page.content()).includes(OTHER_VALUE));
    assert.ok(!bodies.some((b) => b.includes(OTHER_VALUE)), 'the value never reached the browser');
    // The page stays usable: navigation works after the denial.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Secrets' }).click();
    await page.getByRole('link', { name: 'prod/api', exact: true }).waitFor();
    // The admin-only explain view says so plainly too.
    await page.goto(`${server.consoleUrl}#/secret/prod%2Fapi/access`);
    await page.getByRole('button', { name: 'Check who can read this secret' }).click();
    await page.getByRole('alert').filter({ hasText: 'AccessDenied' }).first().waitFor();
    await page.goto(`${server.consoleUrl}#/secret/dev%2Fother`);
    await denied.waitFor();
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'access-denied');
    // Each denial is in the trail under that user.
    const trail = await admin.json('cloudtrail', 'LookupEvents', { LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'prod-reader' }], MaxResults: 50 });
    const denials = trail.Events.map((e) => JSON.parse(e.CloudTrailEvent)).filter((e) => e.errorCode === 'AccessDeniedException').map((e) => e.eventName);
    assert.ok(denials.includes('GetSecretValue') && denials.includes('DescribeSecret'), denials.join(','));
    await page.close();
  });

  it('sign-out leaves no key in any storage of the page, and the key no longer works from it', async () => {
    const page = await browser.newPage();
    await signIn(page, server.consoleUrl, server.admin);
    await page.getByTestId('secrets-table').waitFor();
    const during = JSON.stringify(await storageSnapshot(page));
    assert.ok(!during.includes(server.admin.secretAccessKey) && !during.includes(server.admin.accessKeyId), `while signed in: ${during}`);
    assert.ok(!page.url().includes(server.admin.secretAccessKey));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Access key ID').waitFor();
    const snapshot = await storageSnapshot(page);
    assert.deepEqual(snapshot, { localStorage: {}, sessionStorage: {}, documentCookie: '', indexedDB: [], caches: [], cookies: [] });
    assert.equal(await page.getByLabel('Secret access key').inputValue(), '');
    assert.equal(await page.getByTestId('principal').count(), 0);
    // Back does not bring the signed-in page back.
    await page.goBack().catch(() => undefined);
    await page.getByLabel('Access key ID').waitFor();
    assert.equal(await page.getByTestId('principal').count(), 0);
    await page.close();
  });

  it('the CSP blocks an injected inline script and inline event handler; Trusted Types block DOM injection', async () => {
    const page = await browser.newPage();
    const refused = [];
    page.on('console', (m) => refused.push(m.text()));
    // As if the server had let markup into the page: the real /console/ answer, with its real headers, plus an inline
    // script and an inline event handler in its body.
    let csp;
    await page.route(server.consoleUrl, async (route) => {
      const response = await route.fetch();
      csp = response.headers()['content-security-policy'];
      const body = (await response.text()).replace('<div id="app"></div>', '<div id="app"></div><script>window.__injected = 1</script><img alt="" src="data:," onerror="window.__injected = 2">');
      await route.fulfill({ response, body });
    });
    await page.goto(server.consoleUrl);
    await page.getByLabel('Access key ID').waitFor();
    await page.waitForTimeout(200);
    assert.match(csp, /script-src 'self';/);
    assert.equal(await page.evaluate(() => globalThis.__injected), undefined);
    assert.ok(refused.some((t) => /inline script/.test(t) && /Content Security Policy/.test(t)), refused.join(' | '));
    assert.ok(refused.some((t) => /inline event handler/.test(t) && /Content Security Policy/.test(t)), refused.join(' | '));
    await page.unroute(server.consoleUrl);

    // The console still works, and a script built in the DOM cannot get its text or markup from a string.
    await signIn(page, server.consoleUrl, server.admin);
    const sinks = await page.evaluate(() => {
      const attempt = (f) => {
        try {
          f();
          return 'accepted';
        } catch (e) {
          return e.name;
        }
      };
      return {
        scriptText: attempt(() => {
          const script = document.createElement('script');
          script.textContent = 'window.__injected = 3';
          document.body.append(script);
        }),
        html: attempt(() => document.body.insertAdjacentHTML('beforeend', '<img src="data:," onerror="window.__injected = 4">')),
      };
    });
    assert.deepEqual(sinks, { scriptText: 'TypeError', html: 'TypeError' });
    await page.waitForTimeout(200);
    assert.equal(await page.evaluate(() => globalThis.__injected), undefined);
    await page.close();
  });

  it('markup in a description or value renders as text', async () => {
    const page = await browser.newPage();
    await signIn(page, server.consoleUrl, server.admin);
    const row = page.getByRole('row', { name: /xss\/probe/ });
    await row.waitFor();
    assert.equal(await row.getByRole('cell').nth(1).textContent(), `${XSS_SCRIPT} ${XSS_IMG}`);
    await row.getByRole('link', { name: 'xss/probe' }).click();
    await page.getByRole('button', { name: 'Reveal value' }).click();
    assert.equal(await page.getByTestId('secret-value').textContent(), `${XSS_SCRIPT}${XSS_IMG}`);
    assert.equal(await page.locator('main script, main img[src="x"]').count(), 0);
    // The audit record holds the description too, shown as text.
    await page.goto(`${server.consoleUrl}#/audit?attribute=EventName&value=CreateSecret`);
    await page.locator('tr[data-event="CreateSecret"]').first().waitFor();
    await page.locator('tr[data-event="CreateSecret"]').first().getByRole('link').click();
    await page.getByTestId('audit-record').waitFor();
    assert.equal(await page.locator('main script, main img[src="x"]').count(), 0);
    assert.equal(await page.evaluate(() => globalThis.__xss), undefined);
    // A name with markup never exists: the API refuses it, and the console shows AWS's answer verbatim.
    await page.goto(`${server.consoleUrl}#/create-secret`);
    await page.getByLabel('Name', { exact: true }).fill('<img src=x onerror=alert(1)>');
    await page.getByRole('radio', { name: 'Plain text' }).check();
    await page.getByLabel('Secret value').fill('v');
    await page.getByRole('button', { name: 'Create secret' }).click();
    const refused = await page.getByRole('alert').filter({ hasText: /ValidationException|InvalidParameterException/ }).textContent();
    assert.match(refused, /(ValidationException|InvalidParameterException): /);
    assert.equal(await page.evaluate(() => globalThis.__xss), undefined);
    await page.close();
  });

  it('temporary credentials (AssumeRole) sign in with their session token', async () => {
    const account = xmlText(await admin.query('sts', 'GetCallerIdentity'), 'Account');
    const assumer = await createUser(admin, 'assumer', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] });
    await admin.query('iam', 'CreateRole', {
      RoleName: 'console-viewer',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:user/assumer` }, Action: 'sts:AssumeRole' }] }),
    });
    await admin.query('iam', 'PutRolePolicy', { RoleName: 'console-viewer', PolicyName: 'list', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'secretsmanager:ListSecrets', Resource: '*' }] }) });
    const assumed = await (await client(server.endpoint, assumer)).query('sts', 'AssumeRole', { RoleArn: `arn:aws:iam::${account}:role/console-viewer`, RoleSessionName: 'browser' });
    const page = await browser.newPage();
    await signIn(page, server.consoleUrl, { accessKeyId: xmlText(assumed, 'AccessKeyId'), secretAccessKey: xmlText(assumed, 'SecretAccessKey') }, xmlText(assumed, 'SessionToken'));
    assert.match(await page.getByTestId('principal').textContent(), /assumed-role\/console-viewer\/browser$/);
    await page.getByRole('link', { name: 'prod/api', exact: true }).waitFor();
    await page.close();
  });

  it('a wrong secret key is refused at sign-in with AWS’s answer verbatim', async () => {
    const page = await browser.newPage();
    await page.goto(server.consoleUrl);
    await page.getByLabel('Access key ID').fill(server.admin.accessKeyId);
    await page.getByLabel('Secret access key').fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = await page.getByRole('alert').textContent();
    assert.match(alert, /SignatureDoesNotMatch: The request signature we calculated does not match/);
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'sign-in-refused');
    await page.close();
  });
});
