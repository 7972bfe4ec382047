import { useState } from 'preact/hooks';
import { rotationHealth, type RotationRun } from '../health.ts';
import { secretHref } from '../router.ts';
import type { ListSecretsResponse, RotationFunction, SecretListEntry } from '../types.ts';
import { Done, ErrorBox, Field, Loading, TableWrap, Time, useAction, useAsync, useFocusHeading, useSession } from './common.tsx';
import { HealthBadge, RunsTable, builtinFunctions } from './RotationTab.tsx';

const MaxScanned = 2000;

/** Every secret with rotation on and its health: the dates from ListSecrets, the outcomes from the newest runs. */
function Health() {
  const { client } = useSession();
  const state = useAsync(async () => {
    const rotating: SecretListEntry[] = [];
    let token: string | undefined;
    let scanned = 0;
    do {
      const page = await client.json<ListSecretsResponse>('secretsmanager', 'ListSecrets', { MaxResults: 100, ...(token ? { NextToken: token } : {}) });
      scanned += page.SecretList.length;
      rotating.push(...page.SecretList.filter((s) => s.RotationEnabled || s.RotationLambdaARN));
      token = page.NextToken;
    } while (token && scanned < MaxScanned);
    let runs: RotationRun[] = [];
    let runsError: unknown;
    try {
      runs = (await client.json<{ Runs: RotationRun[] }>('strongroom', 'ListRotationRuns', { MaxResults: 100 })).Runs;
    } catch (e) {
      runsError = e;
    }
    return { rotating, runs, runsError, scanned, more: !!token };
  }, []);
  const now = new Date();
  return (
    <>
      <h2>Health</h2>
      <ErrorBox error={state.error} context="The secrets could not be listed." />
      {state.loading && !state.data ? <Loading what="rotation health" /> : null}
      {state.data ? (
        <>
          <ErrorBox error={state.data.runsError} context="Run outcomes are unknown (Strongroom.ListRotationRuns was refused); health below uses the dates only." />
          <TableWrap label="Rotation health">
            <table data-testid="rotation-overview">
              <caption>
                {`${state.data.rotating.length} secrets with rotation among ${state.data.scanned}${state.data.more ? ' (the first ' + MaxScanned + ' only)' : ''}.`}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Secret</th>
                  <th scope="col">Health</th>
                  <th scope="col">Last success</th>
                  <th scope="col">Next due</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {state.data.rotating.map((s) => {
                  const health = rotationHealth(
                    s,
                    state.data!.runs.filter((r) => r.SecretArn === s.ARN),
                    now,
                  );
                  return (
                    <tr key={s.ARN}>
                      <td class="wrap">
                        <a href={secretHref(s.Name, 'rotation')}>{s.Name}</a>
                      </td>
                      <td>
                        <HealthBadge health={health} />
                      </td>
                      <td>
                        <Time value={health.lastSuccess} />
                      </td>
                      <td>
                        <Time value={health.nextDue} />
                      </td>
                      <td class="wrap mono">{health.lastError ?? ''}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableWrap>
          {state.data.runs.length ? (
            <>
              <h2>Latest runs</h2>
              <RunsTable runs={state.data.runs.slice(0, 20)} showSecret />
            </>
          ) : null}
        </>
      ) : null}
    </>
  );
}

function Functions() {
  const { client } = useSession();
  const list = useAsync(() => client.json<{ Functions: RotationFunction[] }>('strongroom', 'ListRotationFunctions', { MaxResults: 100 }), []);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'command' | 'http' | 'builtin'>('command');
  const [command, setCommand] = useState('');
  const [url, setUrl] = useState('');
  const [builtin, setBuiltin] = useState('postgresql-single-user');
  const [timeout, setTimeoutSeconds] = useState('60');
  const [description, setDescription] = useState('');
  const action = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const answer = await client.json<{ Function: RotationFunction; HmacKey?: string }>('strongroom', 'CreateRotationFunction', {
        Name: name,
        ...(kind === 'command' ? { Command: command } : kind === 'http' ? { Url: url } : { Builtin: builtin }),
        TimeoutSeconds: Number(timeout),
        ...(description ? { Description: description } : {}),
      });
      list.reload();
      setName('');
      return `Created ${answer.Function.Arn}.${answer.HmacKey ? ` Its HMAC key, shown this once: ${answer.HmacKey}` : ''}`;
    });
  };
  const remove = (f: RotationFunction) =>
    action.run(async () => {
      await client.json('strongroom', 'DeleteRotationFunction', { Name: f.Name });
      list.reload();
      return `Deleted ${f.Name}.`;
    });
  return (
    <>
      <h2>Rotation functions</h2>
      <p class="muted">
        What a secret's rotation runs. Built-in rotators need no registration: {builtinFunctions.join(', ')}.
      </p>
      <ErrorBox error={list.error} context="The rotation functions could not be listed." />
      {list.data ? (
        <TableWrap label="Rotation functions">
          <table data-testid="rotation-functions">
            <caption>{list.data.Functions.length === 0 ? 'No registered functions.' : `${list.data.Functions.length} registered functions.`}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Runs</th>
                <th scope="col">Timeout</th>
                <th scope="col">Changed</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.Functions.map((f) => (
                <tr key={f.Arn}>
                  <td class="wrap">
                    <strong>{f.Name}</strong>
                    <div class="muted mono">{f.Arn}</div>
                    {f.Description ? <div>{f.Description}</div> : null}
                  </td>
                  <td>{f.Kind}</td>
                  <td class="wrap mono">{f.Command ?? f.Url ?? f.Builtin ?? ''}</td>
                  <td>{f.TimeoutSeconds} s</td>
                  <td>
                    <Time value={f.LastModified ? new Date(f.LastModified * 1000) : undefined} />
                  </td>
                  <td>
                    <button type="button" onClick={() => remove(f)} disabled={action.busy}>
                      Delete {f.Name}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      <h3>Register a function</h3>
      <form onSubmit={create}>
        <Field id="function-name" label="Name">
          <input id="function-name" type="text" spellcheck={false} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <fieldset>
          <legend>Kind</legend>
          <div class="radio">
            {(['command', 'http', 'builtin'] as const).map((k) => (
              <label key={k}>
                <input type="radio" name="function-kind" checked={kind === k} onChange={() => setKind(k)} /> {k === 'command' ? 'Command (event on stdin)' : k === 'http' ? 'HTTP endpoint' : 'Built-in rotator'}
              </label>
            ))}
          </div>
        </fieldset>
        {kind === 'command' ? (
          <Field id="function-command" label="Command" hint="run with /bin/sh -c once per step">
            <input id="function-command" type="text" spellcheck={false} value={command} onInput={(e) => setCommand(e.currentTarget.value)} />
          </Field>
        ) : kind === 'http' ? (
          <Field id="function-url" label="URL">
            <input id="function-url" type="text" spellcheck={false} value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
          </Field>
        ) : (
          <Field id="function-builtin" label="Built-in rotator">
            <select id="function-builtin" value={builtin} onChange={(e) => setBuiltin(e.currentTarget.value)}>
              {['postgresql-single-user', 'postgresql-multi-user', 'mysql-single-user', 'mysql-multi-user', 'redis-single-user', 'redis-multi-user'].map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field id="function-timeout" label="Timeout per step (seconds)">
          <input id="function-timeout" type="number" min={1} max={900} value={timeout} onInput={(e) => setTimeoutSeconds(e.currentTarget.value)} />
        </Field>
        <Field id="function-description" label="Description">
          <input id="function-description" type="text" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </Field>
        <ErrorBox error={action.error} context="The request was refused." />
        <Done text={action.done} />
        <div class="actions">
          <button type="submit" disabled={action.busy || name === ''}>
            Register function
          </button>
        </div>
      </form>
    </>
  );
}

export function RotationPage() {
  const heading = useFocusHeading('rotation');
  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Rotation
      </h1>
      <Health />
      <Functions />
    </>
  );
}
