import { useState } from 'preact/hooks';
import { date } from '../aws.ts';
import { formatDay } from '../format.ts';
import { href, secretHref, secretTabs, type SecretTab } from '../router.ts';
import type { DescribeSecretResponse, GetSecretValueResponse, ListSecretVersionIdsResponse, Tag } from '../types.ts';
import { AccessTab } from './AccessTab.tsx';
import { Badge, Done, ErrorBox, Field, Loading, Pager, TableWrap, Time, useAction, useAsync, useFocusHeading, usePager, useSession, type AsyncState } from './common.tsx';
import { TagsEditor, ValueEditor, draftValue, emptyValue } from './editors.tsx';
import { RotationTab } from './RotationTab.tsx';
import { RotationBadge } from './SecretsList.tsx';

const tabLabels: Record<SecretTab, string> = {
  overview: 'Overview',
  versions: 'Versions',
  tags: 'Tags',
  access: 'Access',
  rotation: 'Rotation',
  delete: 'Delete or restore',
};

/** Shows a value only after an explicit click: each click is one GetSecretValue, recorded in the audit trail. */
export function RevealValue({ secretId, versionId, label = 'Reveal value' }: { secretId: string; versionId?: string; label?: string }) {
  const { client } = useSession();
  const [value, setValue] = useState<GetSecretValueResponse | null>(null);
  const action = useAction();
  const reveal = () =>
    action.run(async () => {
      setValue(await client.json<GetSecretValueResponse>('secretsmanager', 'GetSecretValue', { SecretId: secretId, ...(versionId ? { VersionId: versionId } : {}) }));
    });
  return (
    <div class="reveal">
      <div class="actions">
        {value ? (
          <button type="button" onClick={() => setValue(null)}>
            Hide value
          </button>
        ) : (
          <button type="button" onClick={reveal} disabled={action.busy} aria-label={versionId ? `${label} of version ${versionId}` : undefined}>
            {label}
          </button>
        )}
      </div>
      <ErrorBox error={action.error} context="The value was not revealed." />
      {value ? (
        <div>
          <p class="muted">
            Version <code>{value.VersionId}</code> {value.VersionStages?.map((s) => <Badge key={s} kind="info">{s}</Badge>)}
          </p>
          <pre class="secret-value" data-testid="secret-value" aria-label="Secret value" tabIndex={0}>
            {value.SecretString ?? `(binary, ${value.SecretBinary ? Math.floor((value.SecretBinary.length * 3) / 4) : 0} bytes, base64) ${value.SecretBinary ?? ''}`}
          </pre>
        </div>
      ) : null}
    </div>
  );
}

function Metadata({ secret }: { secret: DescribeSecretResponse }) {
  return (
    <dl class="meta">
      <dt>Name</dt>
      <dd>{secret.Name}</dd>
      <dt>ARN</dt>
      <dd class="mono">{secret.ARN}</dd>
      <dt>Description</dt>
      <dd>{secret.Description ?? <span class="muted">none</span>}</dd>
      <dt>KMS key</dt>
      <dd class="mono">{secret.KmsKeyId ?? 'aws/secretsmanager (default)'}</dd>
      <dt>Created</dt>
      <dd>
        <Time value={date(secret.CreatedDate)} />
      </dd>
      <dt>Last changed</dt>
      <dd>
        <Time value={date(secret.LastChangedDate)} />
      </dd>
      <dt>Last accessed</dt>
      <dd>{secret.LastAccessedDate ? <time dateTime={date(secret.LastAccessedDate)!.toISOString().slice(0, 10)}>{formatDay(date(secret.LastAccessedDate))} (the day, UTC)</time> : 'never'}</dd>
      <dt>Rotation</dt>
      <dd>
        <RotationBadge secret={secret} /> <a href={secretHref(secret.Name, 'rotation')}>Rotation details</a>
      </dd>
      <dt>Audit</dt>
      <dd>
        <a href={href({ page: 'audit', attribute: 'ResourceName', value: secret.ARN, start: '', end: '' })}>Who used this secret: its audit trail</a>
      </dd>
      {secret.DeletedDate ? (
        <>
          <dt>Deletion</dt>
          <dd>
            <Badge kind="bad">Scheduled</Badge> on <Time value={date(secret.DeletedDate)} /> — <a href={secretHref(secret.Name, 'delete')}>restore</a>
          </dd>
        </>
      ) : null}
    </dl>
  );
}

function PutValue({ secretId, onPut }: { secretId: string; onPut: () => void }) {
  const { client } = useSession();
  const [draft, setDraft] = useState(emptyValue);
  const [problems, setProblems] = useState<string[]>([]);
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const value = draftValue(draft);
    setProblems(value.problems);
    if (value.value === undefined) return;
    const ok = await action.run(async () => {
      const answer = await client.json<{ VersionId: string; VersionStages?: string[] }>('secretsmanager', 'PutSecretValue', {
        SecretId: secretId,
        SecretString: value.value,
        ClientRequestToken: crypto.randomUUID(),
      });
      return `Saved as version ${answer.VersionId} (${(answer.VersionStages ?? []).join(', ')}).`;
    });
    if (ok) {
      setDraft(emptyValue());
      onPut();
    }
  };
  return (
    <form onSubmit={submit} autocomplete="off">
      <ValueEditor idPrefix="put-value" draft={draft} onChange={setDraft} legend="New value" />
      {problems.length ? (
        <ul role="alert">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      <ErrorBox error={action.error} context="The new value was not saved." />
      <Done text={action.done} />
      <div class="actions">
        <button type="submit" class="primary" disabled={action.busy}>
          Save new value
        </button>
      </div>
    </form>
  );
}

function Overview({ id, describe }: { id: string; describe: AsyncState<DescribeSecretResponse> }) {
  return (
    <>
      {describe.data ? <Metadata secret={describe.data} /> : null}
      <h2>Value</h2>
      <p class="muted">The value is fetched only when you ask; each reveal is a GetSecretValue in the audit trail under your name.</p>
      <RevealValue secretId={id} />
      <h2>Put a new value</h2>
      <p class="muted">The new value becomes AWSCURRENT; the one it replaces becomes AWSPREVIOUS.</p>
      <PutValue secretId={id} onPut={describe.reload} />
    </>
  );
}

function Versions({ id, onChanged }: { id: string; onChanged: () => void }) {
  const { client } = useSession();
  const pager = usePager(id);
  const [tick, setTick] = useState(0);
  const versions = useAsync(
    () => client.json<ListSecretVersionIdsResponse>('secretsmanager', 'ListSecretVersionIds', { SecretId: id, IncludeDeprecated: true, MaxResults: 100, ...(pager.token ? { NextToken: pager.token } : {}) }),
    [id, pager.token, tick],
  );
  const [label, setLabel] = useState('AWSCURRENT');
  const [target, setTarget] = useState('');
  const action = useAction();
  const list = versions.data?.Versions ?? [];
  const holder = list.find((v) => v.VersionStages?.includes(label))?.VersionId;
  const labels = [...new Set(['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING', ...list.flatMap((v) => v.VersionStages ?? [])])];
  const move = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      await client.json('secretsmanager', 'UpdateSecretVersionStage', {
        SecretId: id,
        VersionStage: label,
        ...(target ? { MoveToVersionId: target } : {}),
        ...(holder ? { RemoveFromVersionId: holder } : {}),
      });
      setTick((t) => t + 1);
      onChanged();
      return target ? `${label} is now on version ${target}.` : `${label} was removed from version ${holder}.`;
    });
  };
  return (
    <>
      <ErrorBox error={versions.error} context="The versions could not be listed." />
      {versions.loading && !versions.data ? <Loading what="versions" /> : null}
      {versions.data ? (
        <>
          <TableWrap label="Versions">
            <table data-testid="versions-table">
              <caption>Every version of the secret and its staging labels, newest first.</caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Staging labels</th>
                  <th scope="col">Created</th>
                  <th scope="col">Value</th>
                </tr>
              </thead>
              <tbody>
                {[...list]
                  .sort((a, b) => (b.CreatedDate ?? 0) - (a.CreatedDate ?? 0))
                  .map((v) => (
                    <tr key={v.VersionId} data-version={v.VersionId}>
                      <td class="mono wrap">{v.VersionId}</td>
                      <td class="stages">
                        {(v.VersionStages ?? []).length === 0 ? <span class="muted">none (deprecated)</span> : v.VersionStages!.map((s) => <Badge key={s} kind={s === 'AWSCURRENT' ? 'ok' : 'info'}>{s}</Badge>)}
                      </td>
                      <td>
                        <Time value={date(v.CreatedDate)} />
                      </td>
                      <td>
                        <RevealValue secretId={id} versionId={v.VersionId} label="Reveal" />
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </TableWrap>
          <Pager label="Versions pages" page={pager.page} hasNext={!!versions.data.NextToken} onNext={() => versions.data?.NextToken && pager.next(versions.data.NextToken)} onPrevious={pager.previous} />
        </>
      ) : null}
      <h2>Move a staging label</h2>
      <form onSubmit={move} class="inline">
        <Field id="stage-label" label="Label">
          <input id="stage-label" type="text" list="stage-labels" value={label} onInput={(e) => setLabel(e.currentTarget.value)} spellcheck={false} />
          <datalist id="stage-labels">
            {labels.map((l) => (
              <option key={l} value={l} />
            ))}
          </datalist>
        </Field>
        <Field id="stage-target" label="Move to version">
          <select id="stage-target" value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
            <option value="">(remove the label)</option>
            {list.map((v) => (
              <option key={v.VersionId} value={v.VersionId}>
                {v.VersionId}
                {v.VersionStages?.length ? ` (${v.VersionStages.join(', ')})` : ''}
              </option>
            ))}
          </select>
        </Field>
        <div class="field narrow">
          <button type="submit" disabled={action.busy || label === ''}>
            Move label
          </button>
        </div>
      </form>
      <p class="muted">{holder ? `${label} is on version ${holder} now.` : `No version has ${label} now.`}</p>
      <ErrorBox error={action.error} context="The label was not moved." />
      <Done text={action.done} />
    </>
  );
}

function Tags({ id, describe }: { id: string; describe: AsyncState<DescribeSecretResponse> }) {
  const { client } = useSession();
  const current = describe.data?.Tags ?? [];
  const [tags, setTags] = useState<Tag[] | null>(null);
  const action = useAction();
  const edited = tags ?? current;
  const save = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const wanted = edited.filter((t) => t.Key !== '');
      const removed = current.filter((t) => !wanted.some((w) => w.Key === t.Key)).map((t) => t.Key);
      const changed = wanted.filter((w) => !current.some((t) => t.Key === w.Key && t.Value === w.Value));
      if (removed.length) await client.json('secretsmanager', 'UntagResource', { SecretId: id, TagKeys: removed });
      if (changed.length) await client.json('secretsmanager', 'TagResource', { SecretId: id, Tags: changed });
      setTags(null);
      describe.reload();
      return `Tags saved (${changed.length} set, ${removed.length} removed).`;
    });
  };
  return (
    <form onSubmit={save}>
      <ErrorBox error={describe.error} />
      <TagsEditor idPrefix="secret" tags={edited} onChange={setTags} />
      <ErrorBox error={action.error} context="The tags were not saved." />
      <Done text={action.done} />
      <div class="actions">
        <button type="submit" class="primary" disabled={action.busy || tags === null}>
          Save tags
        </button>
      </div>
    </form>
  );
}

function DeleteOrRestore({ id, describe }: { id: string; describe: AsyncState<DescribeSecretResponse> }) {
  const { client } = useSession();
  const [days, setDays] = useState('30');
  const [force, setForce] = useState(false);
  const [confirm, setConfirm] = useState('');
  const action = useAction();
  const secret = describe.data;
  const name = secret?.Name ?? id;
  const remove = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const answer = await client.json<{ DeletionDate?: number }>('secretsmanager', 'DeleteSecret', force ? { SecretId: id, ForceDeleteWithoutRecovery: true } : { SecretId: id, RecoveryWindowInDays: Number(days) });
      describe.reload();
      return force ? 'The secret was deleted for good.' : `The secret is scheduled for deletion on ${new Date((answer.DeletionDate ?? 0) * 1000).toLocaleString()}; until then it can be restored.`;
    });
  };
  const restore = () =>
    action.run(async () => {
      await client.json('secretsmanager', 'RestoreSecret', { SecretId: id });
      describe.reload();
      return 'The secret was restored.';
    });
  return (
    <>
      <ErrorBox error={action.error} context="Nothing was changed." />
      <Done text={action.done} />
      {secret?.DeletedDate ? (
        <>
          <p>
            This secret is scheduled for deletion on <Time value={date(secret.DeletedDate)} />. Its value cannot be read until it is restored.
          </p>
          <div class="actions">
            <button type="button" class="primary" onClick={restore} disabled={action.busy}>
              Restore secret
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={remove}>
          <p>A deleted secret can be restored during its recovery window; after that it is gone with all its versions.</p>
          <Field id="recovery-days" label="Recovery window in days" hint="7 to 30">
            <input id="recovery-days" type="number" min={7} max={30} value={days} disabled={force} onInput={(e) => setDays(e.currentTarget.value)} />
          </Field>
          <div class="field">
            <label>
              <input type="checkbox" checked={force} onChange={(e) => setForce(e.currentTarget.checked)} /> Delete at once, without a recovery window
            </label>
          </div>
          <Field id="delete-confirm" label={`Type the secret's name (${name}) to confirm`}>
            <input id="delete-confirm" type="text" autocomplete="off" spellcheck={false} value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} />
          </Field>
          <div class="actions">
            <button type="submit" class="danger" disabled={action.busy || confirm !== name}>
              Delete secret
            </button>
          </div>
        </form>
      )}
    </>
  );
}

export function SecretPage({ id, tab }: { id: string; tab: SecretTab }) {
  const { client } = useSession();
  const heading = useFocusHeading(id);
  const describe = useAsync(() => client.json<DescribeSecretResponse>('secretsmanager', 'DescribeSecret', { SecretId: id }), [id]);
  return (
    <>
      <p>
        <a href={href({ page: 'secrets', filterKey: 'all', q: '' })}>Secrets</a> /
      </p>
      <h1 ref={heading} tabIndex={-1}>
        {describe.data?.Name ?? id}
      </h1>
      <ErrorBox error={describe.error} context="The secret's details could not be read." />
      <nav aria-label="Secret sections">
        <ul class="tabs">
          {secretTabs.map((t) => (
            <li key={t}>
              <a href={secretHref(id, t)} aria-current={t === tab ? 'page' : undefined}>
                {tabLabels[t]}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {describe.loading && !describe.data ? <Loading what="the secret" /> : null}
      <h2 class="visually-hidden">{tabLabels[tab]}</h2>
      {tab === 'overview' ? <Overview id={id} describe={describe} /> : null}
      {tab === 'versions' ? <Versions id={id} onChanged={describe.reload} /> : null}
      {tab === 'tags' ? <Tags id={id} describe={describe} /> : null}
      {tab === 'access' ? <AccessTab id={id} describe={describe} /> : null}
      {tab === 'rotation' ? <RotationTab id={id} describe={describe} /> : null}
      {tab === 'delete' ? <DeleteOrRestore id={id} describe={describe} /> : null}
    </>
  );
}
