// GetRandomPassword (spec §3.9).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { GetRandomPasswordCommand } from '@aws-sdk/client-secrets-manager';
import { makeClient, expectError, expectErrorOneOf } from '../lib/harness.js';

const client = makeClient();
after(() => client.destroy());

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const UPPER = /[A-Z]/;
const LOWER = /[a-z]/;
const DIGIT = /[0-9]/;
const hasPunct = (s) => [...s].some((c) => PUNCTUATION.includes(c));

const password = async (input = {}) => {
  const out = await client.send(new GetRandomPasswordCommand(input));
  assert.equal(typeof out.RandomPassword, 'string');
  return out.RandomPassword;
};

describe('GetRandomPassword', () => {
  it('defaults to 32 printable characters from every class, without spaces', async () => {
    const pw = await password();
    assert.equal(pw.length, 32);
    assert.ok(UPPER.test(pw) && LOWER.test(pw) && DIGIT.test(pw) && hasPunct(pw), `not every class present: ${pw}`);
    assert.ok(!pw.includes(' '), 'space is excluded by default');
    assert.match(pw, /^[\x21-\x7e]+$/, 'only printable ASCII');
  });

  it('returns a different password each call', async () => {
    const seen = new Set();
    for (let i = 0; i < 5; i++) seen.add(await password());
    assert.equal(seen.size, 5);
  });

  it('honours PasswordLength, including 1 and 4096', async () => {
    assert.equal((await password({ PasswordLength: 20 })).length, 20);
    assert.equal((await password({ PasswordLength: 1, RequireEachIncludedType: false })).length, 1);
    assert.equal((await password({ PasswordLength: 4096 })).length, 4096);
  });

  it('ExcludePunctuation leaves letters and digits only', async () => {
    const pw = await password({ PasswordLength: 64, ExcludePunctuation: true });
    assert.match(pw, /^[A-Za-z0-9]{64}$/);
    assert.ok(UPPER.test(pw) && LOWER.test(pw) && DIGIT.test(pw), 'each included class is required by default');
  });

  it('ExcludeNumbers, ExcludeUppercase and ExcludeLowercase remove those classes', async () => {
    assert.ok(!DIGIT.test(await password({ PasswordLength: 200, ExcludeNumbers: true })));
    assert.ok(!UPPER.test(await password({ PasswordLength: 200, ExcludeUppercase: true })));
    assert.ok(!LOWER.test(await password({ PasswordLength: 200, ExcludeLowercase: true })));
    const digitsOnly = await password({
      PasswordLength: 50,
      ExcludeUppercase: true,
      ExcludeLowercase: true,
      ExcludePunctuation: true,
    });
    assert.match(digitsOnly, /^[0-9]{50}$/);
  });

  it('ExcludeCharacters removes exactly those characters', async () => {
    const excluded = 'aeiouAEIOU01lI|`"\'\\';
    const pw = await password({ PasswordLength: 500, ExcludeCharacters: excluded });
    for (const c of excluded) assert.ok(!pw.includes(c), `password contains excluded ${JSON.stringify(c)}`);
    assert.equal(pw.length, 500);
  });

  it('IncludeSpace allows spaces', async () => {
    // 1000 characters from 52 letters + space: the chance of no space at all is about 6e-9.
    const pw = await password({ PasswordLength: 1000, IncludeSpace: true, ExcludeNumbers: true, ExcludePunctuation: true });
    assert.match(pw, /^[A-Za-z ]{1000}$/);
    assert.ok(pw.includes(' '), 'no space in 1000 characters with IncludeSpace');
  });

  it('RequireEachIncludedType puts every class into a short password', async () => {
    for (let i = 0; i < 10; i++) {
      const pw = await password({ PasswordLength: 4, RequireEachIncludedType: true });
      assert.ok(UPPER.test(pw) && LOWER.test(pw) && DIGIT.test(pw) && hasPunct(pw), `missing a class in ${JSON.stringify(pw)}`);
    }
  });

  it('rejects excluding every character class with InvalidParameterException', async () => {
    await expectError(
      client.send(
        new GetRandomPasswordCommand({
          ExcludeNumbers: true,
          ExcludePunctuation: true,
          ExcludeUppercase: true,
          ExcludeLowercase: true,
        }),
      ),
      'InvalidParameterException',
    );
  });

  it('rejects a length below the number of required classes with InvalidParameterException', async () => {
    await expectError(
      client.send(new GetRandomPasswordCommand({ PasswordLength: 3, RequireEachIncludedType: true })),
      'InvalidParameterException',
    );
  });

  it('rejects PasswordLength outside 1..4096', async () => {
    for (const PasswordLength of [0, 4097]) {
      await expectErrorOneOf(client.send(new GetRandomPasswordCommand({ PasswordLength })), [
        'InvalidParameterException',
        'ValidationException',
      ]);
    }
  });
});
