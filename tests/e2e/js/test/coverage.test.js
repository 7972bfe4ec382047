// Meta-test: every operation the pinned SDK offers is exercised by some test file, so a new
// operation (after an SDK upgrade) or a dropped test shows up as a failure, not as silence.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as sdk from '@aws-sdk/client-secrets-manager';

const here = path.dirname(fileURLToPath(import.meta.url));
const self = path.basename(fileURLToPath(import.meta.url));

it('the SDK offers the 23 Secrets Manager operations of the spec', () => {
  const commands = Object.keys(sdk).filter((k) => /^[A-Z]\w+Command$/.test(k));
  assert.equal(commands.length, 23, `SDK commands: ${commands.join(', ')}`);
});

it('every SDK operation is sent by at least one test', async () => {
  const files = (await readdir(here)).filter((f) => f.endsWith('.test.js') && f !== self);
  const sources = await Promise.all(files.map((f) => readFile(path.join(here, f), 'utf8')));
  const all = sources.join('\n');
  const commands = Object.keys(sdk).filter((k) => /^[A-Z]\w+Command$/.test(k));
  const untested = commands.filter((c) => !all.includes(`new ${c}(`));
  assert.deepEqual(untested, [], `operations without a test: ${untested.join(', ')}`);
});
