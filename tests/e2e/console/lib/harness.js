// Shared helpers for the console's browser tests: a real `strongroom server` process on a temporary data
// directory (not --dev: signatures are checked and IAM applies), Debian's Chromium driven by playwright-core, the
// console's own API client (src/Strongroom.Console/src/aws.ts, bundled for Node) for setting things up, axe-core,
// screenshots, and a look into every storage of a page.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..', '..', '..');
export const output = join(here, '..', 'output');
const consoleDir = join(root, 'src', 'Strongroom.Console');
const dll = process.env.STRONGROOM_DLL ?? join(root, 'src', 'Strongroom', 'bin', 'Release', 'net10.0', 'strongroom.dll');

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function credentialsFile(path) {
  const text = readFileSync(path, 'utf8');
  const value = (key) => new RegExp(`^${key}\\s*=\\s*(.+)$`, 'm').exec(text)[1].trim();
  return { accessKeyId: value('aws_access_key_id'), secretAccessKey: value('aws_secret_access_key') };
}

/** Starts `strongroom server` on a free loopback port with a fresh data directory; stop() ends it and removes the directory. */
export async function startServer(extra = []) {
  const dir = mkdtempSync(join(tmpdir(), 'sr-console-'));
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const args = [dll, 'server', '--data-dir', join(dir, 'data'), '--listen', `127.0.0.1:${port}`, '--rotation-interval', '1s', '--rotation-retry-base', '1s', '--rotation-attempts', '2', ...extra];
  const child = spawn('dotnet', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' } });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`strongroom exited during start:\n${log}`);
    try {
      const r = await fetch(`${endpoint}/health/ready`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`strongroom did not become ready:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const admin = credentialsFile(join(dir, 'data', 'admin.credentials'));
  return {
    endpoint,
    consoleUrl: `${endpoint}/console/`,
    admin,
    dataDir: join(dir, 'data'),
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let clientModule;

/** The console's own AwsClient (src/aws.ts), bundled for Node with the console's esbuild. */
export async function consoleModule() {
  if (!clientModule) {
    const { build } = await import(pathToFileURL(join(consoleDir, 'node_modules', 'esbuild', 'lib', 'main.js')).href);
    mkdirSync(output, { recursive: true });
    const out = join(output, 'console-client.mjs');
    await build({ entryPoints: [join(consoleDir, 'src', 'aws.ts')], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
    clientModule = await import(pathToFileURL(out).href);
  }
  return clientModule;
}

/** Node has no DOMParser: the few Query-protocol answers the tests read are flat enough for this. */
function parseXml(text) {
  const decode = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  const element = (content) => ({
    textContent: decode(content.replace(/<[^>]+>/g, '')),
    getElementsByTagName: (name) => [...content.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => element(m[1])),
  });
  return element(text);
}

/** An API client signing with the console's signer (Node's fetch and WebCrypto). */
export async function client(endpoint, credentials, options = {}) {
  const { AwsClient } = await consoleModule();
  const url = new URL(endpoint);
  return new AwsClient(credentials, { url: `${url.origin}/`, host: url.host, region: options.region ?? 'us-east-1', fetch: (u, init) => fetch(u, init), parseXml, ...(options.now ? { now: options.now } : {}) });
}

export function xmlText(doc, name) {
  return doc.getElementsByTagName(name)[0]?.textContent;
}

/** An IAM user with an inline policy (or none) and an access key. */
export async function createUser(admin, userName, policy) {
  await admin.query('iam', 'CreateUser', { UserName: userName });
  if (policy) await admin.query('iam', 'PutUserPolicy', { UserName: userName, PolicyName: 'console-test', PolicyDocument: JSON.stringify(policy) });
  const key = await admin.query('iam', 'CreateAccessKey', { UserName: userName });
  return { accessKeyId: xmlText(key, 'AccessKeyId'), secretAccessKey: xmlText(key, 'SecretAccessKey') };
}

const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** Debian's Chromium with a fresh profile directory (removed by close()). */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'sr-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1280, height: 800 },
    timezoneId: process.env.CONSOLE_TEST_TZ ?? 'Europe/Berlin',
    locale: 'en-GB',
  });
  context.setDefaultTimeout(20_000);
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      const problems = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
      page.problems = problems;
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function signIn(page, consoleUrl, credentials, sessionToken) {
  await page.goto(consoleUrl);
  await page.getByLabel('Access key ID').fill(credentials.accessKeyId);
  await page.getByLabel('Secret access key').fill(credentials.secretAccessKey);
  if (sessionToken) await page.getByLabel('Session token').fill(sessionToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('principal').waitFor();
}

const axeSource = readFileSync(join(here, '..', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/**
 * axe-core's violations on the page as it is (WCAG 2.x A/AA and best practices). axe is evaluated through the
 * DevTools protocol, which the page's CSP does not govern; the page itself could not load it.
 */
export async function axe(page) {
  await page.evaluate(`${axeSource}\n;0`);
  const result = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(' | ')}`);
}

/**
 * A screenshot into output/screenshots, and into docs/console/ when UPDATE_SCREENSHOTS=1: the viewport at 1024 px
 * wide (kept small for the docs), scrolled to the top or to `at` (a locator); `docs: false` keeps it out of docs/.
 */
export async function screenshot(page, name, { at, docs = true } = {}) {
  const dir = join(output, 'screenshots');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  const viewport = page.viewportSize();
  const wide = viewport && viewport.width > 1024;
  if (wide) await page.setViewportSize({ width: 1024, height: 720 });
  if (at) await at.evaluate((e) => e.scrollIntoView({ block: 'start' }));
  else await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: file, fullPage: false });
  if (wide) await page.setViewportSize(viewport);
  if (docs && process.env.UPDATE_SCREENSHOTS === '1') {
    const folder = join(root, 'docs', 'console');
    mkdirSync(folder, { recursive: true });
    copyFileSync(file, join(folder, `${name}.png`));
  }
  return file;
}

/** Everything the page's origin keeps: Web Storage, cookies, IndexedDB databases, Cache Storage. */
export async function storageSnapshot(page) {
  const inPage = await page.evaluate(async () => {
    const dump = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]));
    return {
      localStorage: dump(localStorage),
      sessionStorage: dump(sessionStorage),
      documentCookie: document.cookie,
      indexedDB: (await indexedDB.databases()).map((d) => d.name),
      caches: await caches.keys(),
    };
  });
  return { ...inPage, cookies: await page.context().cookies() };
}

export function writeOutput(name, text) {
  mkdirSync(output, { recursive: true });
  writeFileSync(join(output, name), text);
}

export { existsSync };
