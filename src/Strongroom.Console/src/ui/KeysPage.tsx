import { date } from '../aws.ts';
import type { AliasEntry, KeyListEntry, KeyMetadata } from '../types.ts';
import { Badge, Done, ErrorBox, Loading, Pager, TableWrap, Time, useAction, useAsync, useFocusHeading, usePager, useSession } from './common.tsx';

interface KeyRow {
  meta?: KeyMetadata;
  aliases: string[];
  rotation?: boolean;
  error?: unknown;
  id: string;
}

function stateKind(state: string): 'ok' | 'bad' | 'warn' | 'off' {
  return state === 'Enabled' ? 'ok' : state === 'PendingDeletion' ? 'bad' : state === 'Disabled' ? 'warn' : 'off';
}

export function KeysPage() {
  const { client } = useSession();
  const heading = useFocusHeading('keys');
  const pager = usePager('keys');
  const action = useAction();
  const keys = useAsync(async () => {
    const page = await client.json<{ Keys: KeyListEntry[]; NextMarker?: string; Truncated?: boolean }>('kms', 'ListKeys', { Limit: 25, ...(pager.token ? { Marker: pager.token } : {}) });
    const aliases: AliasEntry[] = [];
    let marker: string | undefined;
    do {
      const a = await client.json<{ Aliases: AliasEntry[]; NextMarker?: string; Truncated?: boolean }>('kms', 'ListAliases', { Limit: 100, ...(marker ? { Marker: marker } : {}) });
      aliases.push(...a.Aliases);
      marker = a.Truncated ? a.NextMarker : undefined;
    } while (marker && aliases.length < 1000);
    const rows = await Promise.all(
      page.Keys.map(async (k): Promise<KeyRow> => {
        const row: KeyRow = { id: k.KeyId, aliases: aliases.filter((a) => a.TargetKeyId === k.KeyId).map((a) => a.AliasName) };
        try {
          row.meta = (await client.json<{ KeyMetadata: KeyMetadata }>('kms', 'DescribeKey', { KeyId: k.KeyId })).KeyMetadata;
          if (row.meta.KeySpec === 'SYMMETRIC_DEFAULT' || row.meta.KeySpec === undefined) {
            row.rotation = (await client.json<{ KeyRotationEnabled: boolean }>('kms', 'GetKeyRotationStatus', { KeyId: k.KeyId })).KeyRotationEnabled;
          }
        } catch (e) {
          row.error = e;
        }
        return row;
      }),
    );
    return { rows, next: page.Truncated ? page.NextMarker : undefined };
  }, [pager.token]);

  const call = (operation: string, keyId: string, message: string) =>
    action.run(async () => {
      await client.json('kms', operation, { KeyId: keyId });
      keys.reload();
      return message;
    });

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        KMS keys
      </h1>
      <p class="muted">The keys that encrypt secrets and SecureString parameters. A disabled key stops reads and writes of everything under it.</p>
      <ErrorBox error={keys.error} context="The keys could not be listed." />
      <ErrorBox error={action.error} context="The request was refused." />
      <Done text={action.done} />
      {keys.loading && !keys.data ? <Loading what="keys" /> : null}
      {keys.data ? (
        <>
          <TableWrap label="KMS keys">
            <table data-testid="keys-table">
              <caption>{`Page ${pager.page}: ${keys.data.rows.length} keys.`}</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">State</th>
                  <th scope="col">Managed by</th>
                  <th scope="col">Key rotation</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.rows.map((r) => {
                  const label = r.aliases[0]?.replace(/^alias\//, '') ?? r.id;
                  return (
                    <tr key={r.id}>
                      <td class="wrap">
                        <strong>{r.aliases.map((a) => a.replace(/^alias\//, '')).join(', ') || '(no alias)'}</strong>
                        <div class="mono muted">{r.id}</div>
                        {r.meta?.Description ? <div>{r.meta.Description}</div> : null}
                        {r.error ? <ErrorBox error={r.error} /> : null}
                      </td>
                      <td>{r.meta ? <Badge kind={stateKind(r.meta.KeyState)}>{r.meta.KeyState}</Badge> : '—'}</td>
                      <td>{r.meta?.KeyManager ?? '—'}</td>
                      <td>{r.rotation === undefined ? <span class="muted">n/a</span> : <Badge kind={r.rotation ? 'ok' : 'off'}>{r.rotation ? 'On (yearly)' : 'Off'}</Badge>}</td>
                      <td>
                        <Time value={date(r.meta?.CreationDate)} />
                      </td>
                      <td>
                        {r.meta && r.meta.KeyManager !== 'AWS' ? (
                          <div class="actions">
                            {r.meta.KeyState === 'Enabled' ? (
                              <button type="button" onClick={() => call('DisableKey', r.id, `Disabled ${label}.`)} disabled={action.busy}>
                                Disable {label}
                              </button>
                            ) : r.meta.KeyState === 'Disabled' ? (
                              <button type="button" onClick={() => call('EnableKey', r.id, `Enabled ${label}.`)} disabled={action.busy}>
                                Enable {label}
                              </button>
                            ) : null}
                            {r.rotation !== undefined ? (
                              <button type="button" onClick={() => call(r.rotation ? 'DisableKeyRotation' : 'EnableKeyRotation', r.id, `Key rotation ${r.rotation ? 'off' : 'on'} for ${label}.`)} disabled={action.busy}>
                                {r.rotation ? 'Turn key rotation off' : 'Turn key rotation on'} for {label}
                              </button>
                            ) : null}
                          </div>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableWrap>
          <Pager label="Keys pages" page={pager.page} hasNext={!!keys.data.next} onNext={() => keys.data?.next && pager.next(keys.data.next)} onPrevious={pager.previous} />
        </>
      ) : null}
    </>
  );
}
