import { useState } from 'preact/hooks';
import { fromRows, rowProblems, toRows, type KeyValueRow } from '../kv.ts';
import type { AliasEntry, KeyListEntry, Tag } from '../types.ts';
import { ErrorBox, useAsync, useSession } from './common.tsx';

export interface SecretValueDraft {
  mode: 'pairs' | 'text';
  rows: KeyValueRow[];
  text: string;
}

export const emptyValue = (): SecretValueDraft => ({ mode: 'pairs', rows: [{ key: '', value: '' }], text: '' });

/** The SecretString a draft stands for, or the problems that keep it from being one. */
export function draftValue(draft: SecretValueDraft): { value?: string; problems: string[] } {
  if (draft.mode === 'text') return { value: draft.text, problems: [] };
  const rows = draft.rows.filter((r) => r.key !== '' || r.value !== '');
  const problems = rowProblems(rows);
  return problems.length > 0 ? { problems } : { value: fromRows(rows), problems };
}

/** The key/value editor, or a text area; switching keeps what was typed when it converts cleanly. */
export function ValueEditor({ idPrefix, draft, onChange, legend }: { idPrefix: string; draft: SecretValueDraft; onChange: (d: SecretValueDraft) => void; legend: string }) {
  const [switchProblem, setSwitchProblem] = useState<string | undefined>(undefined);
  const setMode = (mode: 'pairs' | 'text') => {
    setSwitchProblem(undefined);
    if (mode === draft.mode) return;
    if (mode === 'text') {
      const { value } = draftValue(draft);
      onChange({ ...draft, mode, text: value ?? draft.text });
    } else {
      const rows = draft.text.trim() === '' ? [{ key: '', value: '' }] : toRows(draft.text);
      if (!rows) {
        setSwitchProblem('The text is not a JSON object of plain values, so it stays as text.');
        return;
      }
      onChange({ ...draft, mode, rows: rows.length ? rows : [{ key: '', value: '' }] });
    }
  };
  const setRow = (i: number, row: KeyValueRow) => onChange({ ...draft, rows: draft.rows.map((r, j) => (j === i ? row : r)) });
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div class="radio" role="radiogroup" aria-label="Value format">
        <label>
          <input type="radio" name={`${idPrefix}-mode`} checked={draft.mode === 'pairs'} onChange={() => setMode('pairs')} /> Key/value pairs (JSON)
        </label>
        <label>
          <input type="radio" name={`${idPrefix}-mode`} checked={draft.mode === 'text'} onChange={() => setMode('text')} /> Plain text
        </label>
      </div>
      {switchProblem ? <p role="alert">{switchProblem}</p> : null}
      {draft.mode === 'text' ? (
        <div class="field">
          <label for={`${idPrefix}-text`}>Secret value</label>
          <textarea id={`${idPrefix}-text`} spellcheck={false} autocomplete="off" value={draft.text} onInput={(e) => onChange({ ...draft, text: e.currentTarget.value })} />
        </div>
      ) : (
        <>
          {draft.rows.map((row, i) => (
            <div class="inline" key={i}>
              <div class="field">
                <label for={`${idPrefix}-key-${i}`}>Key {i + 1}</label>
                <input id={`${idPrefix}-key-${i}`} type="text" spellcheck={false} autocomplete="off" value={row.key} onInput={(e) => setRow(i, { ...row, key: e.currentTarget.value })} />
              </div>
              <div class="field">
                <label for={`${idPrefix}-value-${i}`}>Value {i + 1}</label>
                <input id={`${idPrefix}-value-${i}`} type="text" spellcheck={false} autocomplete="off" value={row.value} onInput={(e) => setRow(i, { ...row, value: e.currentTarget.value })} />
              </div>
              <div class="field narrow">
                <button type="button" onClick={() => onChange({ ...draft, rows: draft.rows.length > 1 ? draft.rows.filter((_, j) => j !== i) : [{ key: '', value: '' }] })}>
                  Remove row {i + 1}
                </button>
              </div>
            </div>
          ))}
          <div class="actions">
            <button type="button" onClick={() => onChange({ ...draft, rows: [...draft.rows, { key: '', value: '' }] })}>
              Add a row
            </button>
          </div>
        </>
      )}
    </fieldset>
  );
}

export function TagsEditor({ idPrefix, tags, onChange, legend = 'Tags' }: { idPrefix: string; tags: Tag[]; onChange: (tags: Tag[]) => void; legend?: string }) {
  const set = (i: number, tag: Tag) => onChange(tags.map((t, j) => (j === i ? tag : t)));
  return (
    <fieldset>
      <legend>{legend}</legend>
      {tags.length === 0 ? <p class="muted">No tags.</p> : null}
      {tags.map((tag, i) => (
        <div class="inline" key={i}>
          <div class="field">
            <label for={`${idPrefix}-tag-key-${i}`}>Tag key {i + 1}</label>
            <input id={`${idPrefix}-tag-key-${i}`} type="text" value={tag.Key} onInput={(e) => set(i, { ...tag, Key: e.currentTarget.value })} />
          </div>
          <div class="field">
            <label for={`${idPrefix}-tag-value-${i}`}>Tag value {i + 1}</label>
            <input id={`${idPrefix}-tag-value-${i}`} type="text" value={tag.Value} onInput={(e) => set(i, { ...tag, Value: e.currentTarget.value })} />
          </div>
          <div class="field narrow">
            <button type="button" onClick={() => onChange(tags.filter((_, j) => j !== i))}>
              Remove tag {i + 1}
            </button>
          </div>
        </div>
      ))}
      <div class="actions">
        <button type="button" onClick={() => onChange([...tags, { Key: '', Value: '' }])}>
          Add a tag
        </button>
      </div>
    </fieldset>
  );
}

/** The KMS keys a secret can be encrypted under: the aliases (aws/secretsmanager first) and, failing those, key ids. */
export function KmsKeySelect({ id, value, onChange }: { id: string; value: string; onChange: (v: string) => void }) {
  const { client } = useSession();
  const keys = useAsync(async () => {
    const aliases: AliasEntry[] = [];
    let token: string | undefined;
    do {
      const page = await client.json<{ Aliases: AliasEntry[]; NextMarker?: string; Truncated?: boolean }>('kms', 'ListAliases', { Limit: 100, ...(token ? { Marker: token } : {}) });
      aliases.push(...page.Aliases.filter((a) => a.TargetKeyId));
      token = page.Truncated ? page.NextMarker : undefined;
    } while (token && aliases.length < 1000);
    const listed = await client.json<{ Keys: KeyListEntry[] }>('kms', 'ListKeys', { Limit: 100 });
    return { aliases, keys: listed.Keys };
  }, []);
  const aliased = new Set(keys.data?.aliases.map((a) => a.TargetKeyId));
  return (
    <div class="field">
      <label for={id}>KMS key</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">aws/secretsmanager (the default key)</option>
        {keys.data?.aliases
          .filter((a) => a.AliasName !== 'alias/aws/secretsmanager')
          .map((a) => (
            <option key={a.AliasName} value={a.AliasName}>
              {a.AliasName.replace(/^alias\//, '')}
            </option>
          ))}
        {keys.data?.keys
          .filter((k) => !aliased.has(k.KeyId))
          .map((k) => (
            <option key={k.KeyId} value={k.KeyArn}>
              {k.KeyId}
            </option>
          ))}
      </select>
      <ErrorBox error={keys.error} context="The KMS keys could not be listed; the default key is used." />
    </div>
  );
}
