import { useEffect, useRef, useState } from 'preact/hooks';
import { date } from '../aws.ts';
import { rotationHealth, type RotationHealth, type RotationRun } from '../health.ts';
import type { DescribeSecretResponse, RotationFunction } from '../types.ts';
import { Badge, Done, ErrorBox, Field, Loading, Pager, TableWrap, Time, useAction, useAsync, usePager, useSession, type AsyncState } from './common.tsx';

export const builtinFunctions = ['strongroom-postgresql-single-user', 'strongroom-postgresql-multi-user', 'strongroom-mysql-single-user', 'strongroom-mysql-multi-user', 'strongroom-redis-single-user', 'strongroom-redis-multi-user'];

const healthBadge: Record<RotationHealth['state'], ['ok' | 'bad' | 'warn' | 'info' | 'off', string]> = {
  healthy: ['ok', 'Healthy'],
  failing: ['bad', 'Failing'],
  overdue: ['warn', 'Overdue'],
  running: ['info', 'Running'],
  scheduled: ['info', 'Scheduled'],
  disabled: ['off', 'Off'],
};

export function HealthBadge({ health }: { health: RotationHealth }) {
  const [kind, text] = healthBadge[health.state];
  return (
    <Badge kind={kind}>
      <span data-testid="rotation-health">{text}</span>
    </Badge>
  );
}

export function outcomeKind(outcome: string): 'ok' | 'bad' | 'warn' | 'info' | 'off' {
  switch (outcome) {
    case 'Succeeded':
      return 'ok';
    case 'Failed':
    case 'Abandoned':
      return 'bad';
    case 'Interrupted':
      return 'warn';
    case 'Running':
      return 'info';
    default:
      return 'off';
  }
}

export function RunsTable({ runs, showSecret = false }: { runs: RotationRun[]; showSecret?: boolean }) {
  return (
    <TableWrap label="Rotation runs">
      <table data-testid="rotation-runs">
        <caption>{runs.length === 0 ? 'No rotation has run yet.' : 'Rotation runs, newest first: each step’s outcome and error.'}</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            {showSecret ? <th scope="col">Secret</th> : null}
            <th scope="col">Trigger</th>
            <th scope="col">Attempt</th>
            <th scope="col">Step reached</th>
            <th scope="col">Outcome</th>
            <th scope="col">Error</th>
            <th scope="col">Finished</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.RunId} data-run={r.RunId}>
              <td>
                <Time value={date(r.StartedDate)} />
              </td>
              {showSecret ? <td class="wrap mono">{r.SecretArn.split(':secret:')[1] ?? r.SecretArn}</td> : null}
              <td>{r.Trigger}</td>
              <td>{r.Attempt}</td>
              <td>{r.StepReached ?? '—'}</td>
              <td>
                <Badge kind={outcomeKind(r.Outcome)}>{r.Outcome}</Badge>
              </td>
              <td class="wrap">{r.Error ?? ''}</td>
              <td>
                <Time value={date(r.FinishedDate)} />
                {r.RetryAt ? (
                  <div class="muted">
                    Retry <Time value={date(r.RetryAt)} />
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function HealthPanel({ health }: { health: RotationHealth }) {
  return (
    <div class="card" data-testid="rotation-health-panel">
      <p>
        <HealthBadge health={health} /> {health.summary}
      </p>
      <dl class="meta">
        <dt>Last success</dt>
        <dd>
          <Time value={health.lastSuccess} withRelative />
        </dd>
        <dt>Next due</dt>
        <dd>
          <Time value={health.nextDue} withRelative />
        </dd>
        {health.lastError ? (
          <>
            <dt>Last error</dt>
            <dd class="mono">{health.lastError}</dd>
          </>
        ) : null}
      </dl>
    </div>
  );
}

export function RotationTab({ id, describe }: { id: string; describe: AsyncState<DescribeSecretResponse> }) {
  const { client, identity, region } = useSession();
  const secret = describe.data;
  const pager = usePager(id);
  const [tick, setTick] = useState(0);
  const runs = useAsync(
    () => client.json<{ Runs: RotationRun[]; NextToken?: string }>('strongroom', 'ListRotationRuns', { SecretId: id, MaxResults: 20, ...(pager.token ? { NextToken: pager.token } : {}) }),
    [id, pager.token, tick],
  );
  const functions = useAsync(() => client.json<{ Functions: RotationFunction[] }>('strongroom', 'ListRotationFunctions', { MaxResults: 100 }), []);
  const [functionArn, setFunctionArn] = useState('');
  const [scheduleKind, setScheduleKind] = useState<'days' | 'expression'>('days');
  const [days, setDays] = useState('30');
  const [expression, setExpression] = useState('rate(10 days)');
  const [windowDuration, setWindowDuration] = useState('');
  const [immediately, setImmediately] = useState(false);
  // While set: follow the runs until one newer than this run id has finished.
  const [watchAfter, setWatchAfter] = useState<number | null>(null);
  const watching = watchAfter !== null;
  const action = useAction();

  // The form starts from the secret's settings once; later reloads of the secret do not overwrite what is typed.
  const loadedFrom = useRef<string | null>(null);
  useEffect(() => {
    if (!secret || loadedFrom.current === secret.ARN) return;
    loadedFrom.current = secret.ARN;
    setFunctionArn(secret.RotationLambdaARN ?? '');
    const rules = secret.RotationRules;
    if (rules?.ScheduleExpression) {
      setScheduleKind('expression');
      setExpression(rules.ScheduleExpression);
    } else if (rules?.AutomaticallyAfterDays) {
      setScheduleKind('days');
      setDays(String(rules.AutomaticallyAfterDays));
    }
    setWindowDuration(rules?.Duration ?? '');
  }, [secret]);

  // While a rotation started here runs, follow it: the runs every second, for at most three minutes.
  useEffect(() => {
    if (!watching) return undefined;
    const started = Date.now();
    const timer = setInterval(() => {
      setTick((t) => t + 1);
      if (Date.now() - started > 180_000) setWatchAfter(null);
    }, 1000);
    return () => clearInterval(timer);
  }, [watching]);
  useEffect(() => {
    const newest = runs.data?.Runs[0];
    // A failed run with a retry due within five minutes is followed on to its retry.
    const retrySoon = newest?.RetryAt !== undefined && newest.RetryAt * 1000 - Date.now() < 300_000;
    if (watchAfter !== null && newest && newest.RunId > watchAfter && newest.Outcome !== 'Running' && !retrySoon) {
      setWatchAfter(null);
      describe.reload();
    }
  }, [runs.data]);
  const follow = () => setWatchAfter(pager.page === 1 ? (runs.data?.Runs[0]?.RunId ?? 0) : Number.MAX_SAFE_INTEGER);

  const health = secret ? rotationHealth(secret, pager.page === 1 ? (runs.data?.Runs ?? []) : [], new Date()) : undefined;
  const fnArn = (name: string) => `arn:aws:lambda:${region}:${identity.account}:function:${name}`;

  const configure = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const rules = {
        ...(scheduleKind === 'days' ? { AutomaticallyAfterDays: Number(days) } : { ScheduleExpression: expression.trim() }),
        ...(windowDuration.trim() ? { Duration: windowDuration.trim() } : {}),
      };
      await client.json('secretsmanager', 'RotateSecret', { SecretId: id, RotationLambdaARN: functionArn, RotationRules: rules, RotateImmediately: immediately, ClientRequestToken: crypto.randomUUID() });
      describe.reload();
      setTick((t) => t + 1);
      follow();
      return immediately ? 'Rotation is configured and a rotation started.' : 'Rotation is configured.';
    });
  };
  const rotateNow = () =>
    action.run(async () => {
      await client.json('secretsmanager', 'RotateSecret', { SecretId: id, ClientRequestToken: crypto.randomUUID() });
      follow();
      setTick((t) => t + 1);
      return 'A rotation started; its run appears below.';
    });
  const turnOff = () =>
    action.run(async () => {
      await client.json('secretsmanager', 'CancelRotateSecret', { SecretId: id });
      describe.reload();
      return 'Rotation is turned off (its settings are kept).';
    });

  const known = [...(functions.data?.Functions.map((f) => f.Arn) ?? []), ...builtinFunctions.map(fnArn)];
  return (
    <>
      <h2>Health</h2>
      {health ? <HealthPanel health={health} /> : <Loading what="the rotation state" />}
      <div class="actions">
        <button type="button" class="primary" onClick={rotateNow} disabled={action.busy || !secret?.RotationLambdaARN}>
          Rotate now
        </button>
        <button type="button" onClick={turnOff} disabled={action.busy || !secret?.RotationEnabled}>
          Turn rotation off
        </button>
        {watching ? <span role="status">Following the rotation…</span> : null}
      </div>
      <ErrorBox error={action.error} context="The request was refused." />
      <Done text={action.done} />

      <h2>Run history</h2>
      <div class="actions">
        <button type="button" onClick={() => setTick((t) => t + 1)}>
          Refresh runs
        </button>
      </div>
      <ErrorBox error={runs.error} context="The rotation runs could not be listed." />
      {runs.data ? (
        <>
          <RunsTable runs={runs.data.Runs} />
          <Pager label="Rotation runs pages" page={pager.page} hasNext={!!runs.data.NextToken} onNext={() => runs.data?.NextToken && pager.next(runs.data.NextToken)} onPrevious={pager.previous} />
        </>
      ) : null}

      <h2>Settings</h2>
      <form onSubmit={configure}>
        <Field id="rotation-function" label="Rotation function" hint="a registered function’s or a built-in rotator’s ARN">
          <input id="rotation-function" type="text" list="rotation-functions" spellcheck={false} value={functionArn} onInput={(e) => setFunctionArn(e.currentTarget.value)} />
          <datalist id="rotation-functions">
            {known.map((arn) => (
              <option key={arn} value={arn} />
            ))}
          </datalist>
        </Field>
        {functions.data?.Functions.length ? (
          <div class="field">
            <label for="rotation-function-pick">Registered functions</label>
            <select id="rotation-function-pick" value={known.includes(functionArn) ? functionArn : ''} onChange={(e) => e.currentTarget.value && setFunctionArn(e.currentTarget.value)}>
              <option value="">(choose one to fill in the ARN)</option>
              {functions.data.Functions.map((f) => (
                <option key={f.Arn} value={f.Arn}>
                  {f.Name} ({f.Kind})
                </option>
              ))}
              {builtinFunctions.map((name) => (
                <option key={name} value={fnArn(name)}>
                  {name} (built-in)
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <fieldset>
          <legend>Schedule</legend>
          <div class="radio">
            <label>
              <input type="radio" name="schedule-kind" checked={scheduleKind === 'days'} onChange={() => setScheduleKind('days')} /> Every number of days
            </label>
            <label>
              <input type="radio" name="schedule-kind" checked={scheduleKind === 'expression'} onChange={() => setScheduleKind('expression')} /> rate() or cron() expression
            </label>
          </div>
          {scheduleKind === 'days' ? (
            <Field id="rotation-days" label="Days between rotations" hint="1 to 1000">
              <input id="rotation-days" type="number" min={1} max={1000} value={days} onInput={(e) => setDays(e.currentTarget.value)} />
            </Field>
          ) : (
            <Field id="rotation-expression" label="Schedule expression" hint="for example rate(10 days) or cron(0 16 1,15 * ? *)">
              <input id="rotation-expression" type="text" spellcheck={false} value={expression} onInput={(e) => setExpression(e.currentTarget.value)} />
            </Field>
          )}
          <Field id="rotation-window" label="Window" hint="optional, for example 3h: how long after the start a rotation may run">
            <input id="rotation-window" type="text" spellcheck={false} value={windowDuration} onInput={(e) => setWindowDuration(e.currentTarget.value)} />
          </Field>
        </fieldset>
        <div class="field">
          <label>
            <input type="checkbox" checked={immediately} onChange={(e) => setImmediately(e.currentTarget.checked)} /> Rotate immediately
          </label>
        </div>
        <div class="actions">
          <button type="submit" disabled={action.busy || functionArn.trim() === ''}>
            Save rotation settings
          </button>
        </div>
      </form>
      <ErrorBox error={functions.error} context="The registered rotation functions could not be listed." />
    </>
  );
}
