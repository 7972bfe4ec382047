// Builds the console into dist/ (what the server embeds): one JavaScript bundle, one stylesheet, the page.
// `node build.mjs --tests` instead bundles test/*.test.ts into .test-build/ for `node --test`.
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const tests = process.argv.includes('--tests');

if (tests) {
  const out = join(here, '.test-build');
  await rm(out, { recursive: true, force: true });
  const entries = (await readdir(join(here, 'test'))).filter((f) => f.endsWith('.test.ts')).map((f) => join(here, 'test', f));
  await build({
    entryPoints: entries,
    outdir: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
} else {
  const out = join(here, 'dist');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await build({
    entryPoints: [join(here, 'src', 'main.tsx')],
    outfile: join(out, 'app.js'),
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    sourcemap: false,
    legalComments: 'eof',
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'app.css', 'favicon.svg']) {
    await copyFile(join(here, 'web', file), join(out, file));
  }
}
