// 1,000 secrets: the list opens on its first page and pages through all of them (no duplicates, none missing).
// The times are measured in the browser and reported (test output and output/list-timing.txt), not asserted:
// speed belongs to benchmarks, and this machine is shared.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { client, launchBrowser, signIn, startServer, writeOutput } from '../lib/harness.js';

const COUNT = 1000;

describe('the secrets list with 1,000 secrets', () => {
  let server;
  let browser;
  let page;

  before(async () => {
    server = await startServer();
    const admin = await client(server.endpoint, server.admin);
    let next = 0;
    const worker = async () => {
      while (next < COUNT) {
        const i = next++;
        await admin.json('secretsmanager', 'CreateSecret', { Name: `scale/s${String(i).padStart(4, '0')}`, Description: `secret number ${i}`, SecretString: `v${i}`, ClientRequestToken: crypto.randomUUID() });
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    browser = await launchBrowser();
    page = await browser.newPage();
    await signIn(page, server.consoleUrl, server.admin);
    await page.getByTestId('secrets-table').waitFor();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('opens on its first page, then pages through all 1,000 at 100 a page', async () => {
    // Cold open of the list (a new document, signed in, from the navigation link), five times.
    const opens = [];
    for (let i = 0; i < 5; i++) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
      await page.getByRole('heading', { level: 1, name: 'Audit trail' }).waitFor();
      const started = await page.evaluate(() => performance.now());
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Secrets' }).click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="secrets-table"] tbody tr').length === 50 && document.querySelector('[data-testid="secrets-table"]')?.getAttribute('aria-busy') === 'false');
      opens.push((await page.evaluate(() => performance.now())) - started);
    }

    await page.getByLabel('Per page').selectOption('100');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="secrets-table"] tbody tr').length === 100);
    const seen = new Set();
    const pageTimes = [];
    const walkStarted = Date.now();
    for (let p = 1; ; p++) {
      const names = await page.locator('[data-testid="secrets-table"] tbody tr td:first-child a').allTextContents();
      names.forEach((n) => seen.add(n));
      assert.equal(names.length, p <= 10 ? 100 : 0, `page ${p}`);
      const next = page.getByRole('button', { name: 'Next page' });
      if (await next.isDisabled()) break;
      const started = await page.evaluate(() => performance.now());
      await next.click();
      await page.getByText(`Page ${p + 1}:`).waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid="secrets-table"]')?.getAttribute('aria-busy') === 'false');
      pageTimes.push((await page.evaluate(() => performance.now())) - started);
    }
    const walk = Date.now() - walkStarted;
    assert.equal(seen.size, COUNT);
    assert.ok(seen.has('scale/s0000') && seen.has('scale/s0999'));

    // From "Sign in" on a new page to the first page of the list: the whole cold path (STS, then ListSecrets).
    const signIns = [];
    for (let i = 0; i < 3; i++) {
      const fresh = await browser.newPage();
      await fresh.goto(server.consoleUrl);
      await fresh.getByLabel('Access key ID').fill(server.admin.accessKeyId);
      await fresh.getByLabel('Secret access key').fill(server.admin.secretAccessKey);
      const started = await fresh.evaluate(() => performance.now());
      await fresh.getByRole('button', { name: 'Sign in' }).click();
      await fresh.waitForFunction(() => document.querySelectorAll('[data-testid="secrets-table"] tbody tr').length === 50);
      signIns.push((await fresh.evaluate(() => performance.now())) - started);
      await fresh.close();
    }

    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const report = [
      `secrets list with ${COUNT} secrets in Chromium (${new Date().toISOString()}):`,
      `  open the list (first page, 50 rows): ${opens.map((t) => t.toFixed(0)).join(', ')} ms; median ${median(opens).toFixed(0)} ms, slowest ${Math.max(...opens).toFixed(0)} ms`,
      `  sign in to the first page of the list: ${signIns.map((t) => t.toFixed(0)).join(', ')} ms`,
      `  next page (100 rows): median ${median(pageTimes).toFixed(0)} ms, slowest ${Math.max(...pageTimes).toFixed(0)} ms`,
      `  all ${COUNT} secrets, 10 pages of 100, walked in ${walk} ms (including the test's own reads of each page)`,
    ].join('\n');
    console.log(report);
    writeOutput('list-timing.txt', report + '\n');
  });
});
