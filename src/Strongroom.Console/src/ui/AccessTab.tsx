import { useEffect, useState } from 'preact/hooks';
import { AwsError } from '../aws.ts';
import type { DescribeSecretResponse } from '../types.ts';
import { texts } from '../xml.ts';
import { Badge, Done, ErrorBox, Field, Loading, TableWrap, useAction, useAsync, useSession, type AsyncState } from './common.tsx';

interface Validation {
  PolicyValidationPassed: boolean;
  ValidationErrors?: { CheckName?: string; ErrorMessage?: string }[];
}

interface Explanation {
  Decision: string;
  Allowed: boolean;
  PolicyName?: string;
  StatementSid?: string;
  Explanation: string;
}

const pretty = (text: string) => {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
};

function ResourcePolicy({ id }: { id: string }) {
  const { client } = useSession();
  const policy = useAsync(() => client.json<{ ResourcePolicy?: string }>('secretsmanager', 'GetResourcePolicy', { SecretId: id }), [id]);
  const [text, setText] = useState('');
  const [block, setBlock] = useState(true);
  const [validation, setValidation] = useState<Validation | null>(null);
  const action = useAction();
  useEffect(() => setText(policy.data?.ResourcePolicy ? pretty(policy.data.ResourcePolicy) : ''), [policy.data]);

  const validate = () =>
    action.run(async () => {
      setValidation(await client.json<Validation>('secretsmanager', 'ValidateResourcePolicy', { SecretId: id, ResourcePolicy: text }));
    });
  const save = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      setValidation(null);
      await client.json('secretsmanager', 'PutResourcePolicy', { SecretId: id, ResourcePolicy: text, BlockPublicPolicy: block });
      policy.reload();
      return 'The resource policy was saved.';
    });
  };
  const remove = () =>
    action.run(async () => {
      setValidation(null);
      await client.json('secretsmanager', 'DeleteResourcePolicy', { SecretId: id });
      policy.reload();
      return 'The resource policy was deleted.';
    });

  return (
    <>
      <h2>Resource policy</h2>
      <p class="muted">Who else may use this secret, beside what their own IAM policies allow. Validate checks it with ValidateResourcePolicy before you save.</p>
      <ErrorBox error={policy.error} context="The resource policy could not be read." />
      {policy.loading && !policy.data ? <Loading what="the resource policy" /> : null}
      {policy.data && !policy.data.ResourcePolicy ? <p>This secret has no resource policy.</p> : null}
      <form onSubmit={save}>
        <Field id="resource-policy" label="Policy document (JSON)">
          <textarea id="resource-policy" spellcheck={false} rows={14} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </Field>
        <div class="field">
          <label>
            <input type="checkbox" checked={block} onChange={(e) => setBlock(e.currentTarget.checked)} /> Block a policy that would make the secret public (BlockPublicPolicy)
          </label>
        </div>
        <div class="actions">
          <button type="button" onClick={validate} disabled={action.busy || text.trim() === ''}>
            Validate
          </button>
          <button type="submit" class="primary" disabled={action.busy || text.trim() === ''}>
            Save policy
          </button>
          <button type="button" onClick={remove} disabled={action.busy || !policy.data?.ResourcePolicy}>
            Delete policy
          </button>
        </div>
      </form>
      <ErrorBox error={action.error} context="The request was refused." />
      <Done text={action.done} />
      {validation ? (
        <div class={`alert ${validation.PolicyValidationPassed ? 'success' : 'error'}`} role="status">
          {validation.PolicyValidationPassed ? 'The policy is valid.' : 'The policy is not valid:'}
          {validation.ValidationErrors?.length ? (
            <ul>
              {validation.ValidationErrors.map((v, i) => (
                <li key={i}>
                  {v.CheckName ? <strong>{v.CheckName}: </strong> : null}
                  {v.ErrorMessage}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </>
  );
}

interface Row {
  kind: 'User' | 'Role';
  name: string;
  result?: Explanation;
  error?: unknown;
}

/** Every name of one IAM listing (ListUsers, ListRoles), following its Marker; at most 1,000. */
async function listAll(client: ReturnType<typeof useSession>['client'], action: 'ListUsers' | 'ListRoles', member: 'UserName' | 'RoleName'): Promise<string[]> {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await client.query('iam', action, { MaxItems: '100', ...(marker ? { Marker: marker } : {}) });
    names.push(...texts(page, member));
    marker = texts(page, 'IsTruncated')[0] === 'true' ? texts(page, 'Marker')[0] : undefined;
  } while (marker && names.length < 1000);
  return names;
}

/**
 * For each IAM user (the admin first) and each IAM role (a session of it, as AssumeRole or web identity gives one),
 * the explain operation's answer to "may they read this secret's value?".
 */
function WhoCanRead({ arn }: { arn: string | undefined }) {
  const { client } = useSession();
  const [rows, setRows] = useState<Row[] | null>(null);
  const action = useAction();
  const check = () =>
    action.run(async () => {
      if (!arn) throw new Error('The secret’s ARN is not known (DescribeSecret failed).');
      const [users, roles] = await Promise.all([listAll(client, 'ListUsers', 'UserName'), listAll(client, 'ListRoles', 'RoleName')]);
      const found: Row[] = [
        { kind: 'User', name: 'admin' },
        ...users.filter((u) => u !== 'admin').map((name): Row => ({ kind: 'User', name })),
        ...roles.map((name): Row => ({ kind: 'Role', name })),
      ];
      setRows([...found]);
      let next = 0;
      const worker = async () => {
        while (next < found.length) {
          const row = found[next++]!;
          try {
            row.result = await client.json<Explanation>('strongroom', 'ExplainAccess', {
              ...(row.kind === 'User' ? { UserName: row.name } : { RoleName: row.name }),
              Action: 'secretsmanager:GetSecretValue',
              Resource: arn,
            });
          } catch (e) {
            row.error = e;
            if (e instanceof AwsError && e.code === 'AccessDeniedException') throw e;
          }
          setRows([...found]);
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
    });
  return (
    <>
      <h2>Who can read this?</h2>
      <p class="muted">
        Asks the server's policy engine (Strongroom.ExplainAccess, for the admin) whether each IAM user, and a session of each IAM role, may call secretsmanager:GetSecretValue on this secret, and
        which statement decides. Session policies passed when a role is assumed and a customer-managed KMS key's own policy are not part of this answer.
      </p>
      <div class="actions">
        <button type="button" onClick={check} disabled={action.busy}>
          Check who can read this secret
        </button>
        {action.busy ? <span role="status">Checking…</span> : null}
      </div>
      <ErrorBox error={action.error} context="The check could not be made." />
      {rows ? (
        <TableWrap label="Who can read this secret">
          <table data-testid="who-can-read">
            <caption>{`${rows.filter((r) => r.result?.Allowed).length} of ${rows.length} users and roles may read the value.`}</caption>
            <thead>
              <tr>
                <th scope="col">Principal</th>
                <th scope="col">Kind</th>
                <th scope="col">Decision</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.kind}/${r.name}`}>
                  <td>{r.name}</td>
                  <td>{r.kind}</td>
                  <td>{r.result ? <Badge kind={r.result.Allowed ? 'ok' : r.result.Decision === 'ExplicitDeny' ? 'bad' : 'off'}>{r.result.Allowed ? 'Can read' : r.result.Decision === 'ExplicitDeny' ? 'Denied' : 'Cannot read'}</Badge> : r.error ? <Badge kind="warn">Unknown</Badge> : '…'}</td>
                  <td class="wrap">{r.result ? r.result.Explanation : r.error ? <ErrorBox error={r.error} /> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
    </>
  );
}

export function AccessTab({ id, describe }: { id: string; describe: AsyncState<DescribeSecretResponse> }) {
  return (
    <>
      <ResourcePolicy id={id} />
      <WhoCanRead arn={describe.data?.ARN} />
    </>
  );
}
