import { useState } from 'preact/hooks';
import { secretHref } from '../router.ts';
import type { Tag } from '../types.ts';
import { ErrorBox, Field, useAction, useFocusHeading, useSession } from './common.tsx';
import { KmsKeySelect, TagsEditor, ValueEditor, draftValue, emptyValue } from './editors.tsx';

export function CreateSecret() {
  const { client } = useSession();
  const heading = useFocusHeading('create');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [value, setValue] = useState(emptyValue);
  const [kmsKeyId, setKmsKeyId] = useState('');
  const [tags, setTags] = useState<Tag[]>([]);
  const [problems, setProblems] = useState<string[]>([]);
  const action = useAction();

  const submit = async (e: Event) => {
    e.preventDefault();
    const draft = draftValue(value);
    setProblems(draft.problems);
    if (draft.value === undefined) return;
    const ok = await action.run(async () => {
      await client.json('secretsmanager', 'CreateSecret', {
        Name: name,
        ...(description ? { Description: description } : {}),
        SecretString: draft.value,
        ...(kmsKeyId ? { KmsKeyId: kmsKeyId } : {}),
        ...(tags.length ? { Tags: tags.filter((t) => t.Key !== '') } : {}),
        ClientRequestToken: crypto.randomUUID(),
      });
    });
    if (ok) location.hash = secretHref(name);
  };

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Create a secret
      </h1>
      <form onSubmit={submit} autocomplete="off">
        <Field id="new-secret-name" label="Name" hint="letters, digits and /_+=.@-">
          <input id="new-secret-name" type="text" spellcheck={false} required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field id="new-secret-description" label="Description">
          <input id="new-secret-description" type="text" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </Field>
        <ValueEditor idPrefix="new-secret" draft={value} onChange={setValue} legend="Value" />
        {problems.length ? (
          <ul role="alert">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        ) : null}
        <KmsKeySelect id="new-secret-kms" value={kmsKeyId} onChange={setKmsKeyId} />
        <TagsEditor idPrefix="new-secret" tags={tags} onChange={setTags} />
        <ErrorBox error={action.error} context="The secret was not created." />
        <div class="actions">
          <button type="submit" class="primary" disabled={action.busy || name === ''}>
            Create secret
          </button>
          <a href="#/secrets">Cancel</a>
        </div>
      </form>
    </>
  );
}
