import { useState } from 'preact/hooks';
import { AwsClient } from '../aws.ts';
import { parseXml, text } from '../xml.ts';
import { ErrorBox, type Session } from './common.tsx';

/**
 * Sign-in with an access key, checked by STS GetCallerIdentity. The key goes into the AwsClient's memory and
 * nowhere else; the form never submits (the CSP's form-action 'none' would stop it), so the secret key never
 * becomes part of a URL, and the inputs ask browsers not to store what is typed.
 */
export function SignIn({ defaultRegion, onSignedIn }: { defaultRegion: string; onSignedIn: (session: Session) => void }) {
  const [accessKeyId, setAccessKeyId] = useState('');
  const [secretAccessKey, setSecretAccessKey] = useState('');
  const [sessionToken, setSessionToken] = useState('');
  const [region, setRegion] = useState(defaultRegion);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const client = new AwsClient(
      { accessKeyId: accessKeyId.trim(), secretAccessKey, sessionToken: sessionToken.trim() || undefined },
      {
        url: `${location.origin}/`,
        host: location.host,
        region: region.trim() || defaultRegion,
        fetch: (url, init) => fetch(url, init),
        parseXml,
      },
    );
    try {
      const answer = await client.query('sts', 'GetCallerIdentity');
      const identity = { arn: text(answer, 'Arn') ?? '', account: text(answer, 'Account') ?? '', userId: text(answer, 'UserId') ?? '' };
      setSecretAccessKey('');
      setSessionToken('');
      onSignedIn({ client, identity, region: client.region });
    } catch (failure) {
      client.forget();
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <h1>
        <img src="favicon.svg" alt="" width={28} height={28} /> Strongroom
      </h1>
      <div class="card">
        <h2>Sign in</h2>
        <p class="muted">With an access key of an IAM user or the admin. It stays in this tab's memory only and signs every request; close the tab or sign out to forget it.</p>
        <form onSubmit={submit} autocomplete="off" noValidate>
          <div class="field">
            <label for="access-key-id">Access key ID</label>
            <input id="access-key-id" name="access-key-id" type="text" autocomplete="off" autocapitalize="none" spellcheck={false} required value={accessKeyId} onInput={(e) => setAccessKeyId(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="secret-access-key">Secret access key</label>
            <input id="secret-access-key" name="secret-access-key" type="password" autocomplete="off" required value={secretAccessKey} onInput={(e) => setSecretAccessKey(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="session-token">Session token</label>
            <div class="hint" id="session-token-hint">
              Optional, for temporary credentials
            </div>
            <input id="session-token" name="session-token" type="password" autocomplete="off" aria-describedby="session-token-hint" value={sessionToken} onInput={(e) => setSessionToken(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="region">Region</label>
            <input id="region" name="region" type="text" autocomplete="off" spellcheck={false} value={region} onInput={(e) => setRegion(e.currentTarget.value)} />
          </div>
          <ErrorBox error={error} context="Sign-in failed." />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy || accessKeyId.trim() === '' || secretAccessKey === ''}>
              Sign in
            </button>
            {busy ? <span role="status">Checking the key…</span> : null}
          </div>
        </form>
      </div>
    </main>
  );
}
