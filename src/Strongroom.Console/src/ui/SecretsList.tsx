import { useState } from 'preact/hooks';
import { date } from '../aws.ts';
import { rotationHealth, type RotationRun } from '../health.ts';
import { href, secretHref, type Route } from '../router.ts';
import type { ListSecretsResponse, SecretListEntry } from '../types.ts';
import { Badge, ErrorBox, Field, Loading, Pager, TableWrap, Time, useAsync, useFocusHeading, usePager, useSession } from './common.tsx';
import { HealthBadge } from './RotationTab.tsx';

const filterKeys: [string, string][] = [
  ['all', 'Name, description and tags'],
  ['name', 'Name'],
  ['description', 'Description'],
  ['tag-key', 'Tag key'],
  ['tag-value', 'Tag value'],
];

export function RotationBadge({ secret }: { secret: SecretListEntry }) {
  if (!secret.RotationEnabled) return <Badge kind="off">Off</Badge>;
  const next = date(secret.NextRotationDate);
  if (next && Date.now() - next.getTime() > 60 * 60 * 1000) return <Badge kind="warn">Overdue</Badge>;
  return <Badge kind="info">On</Badge>;
}

/**
 * The list's rotation column: off, or the secret's health from its newest runs (Strongroom.ListRotationRuns, only for
 * secrets with rotation on, after the page has shown): failing (the newest finished run failed; how many in a row),
 * overdue, running, healthy or scheduled. Without permission to list runs, the dates alone decide (on / overdue).
 */
function RotationHealthCell({ secret }: { secret: SecretListEntry }) {
  const { client } = useSession();
  const rotating = !!secret.RotationEnabled;
  const runs = useAsync(
    async () => (rotating ? (await client.json<{ Runs: RotationRun[] }>('strongroom', 'ListRotationRuns', { SecretId: secret.ARN, MaxResults: 20 })).Runs : []),
    [secret.ARN, rotating, secret.LastRotatedDate, secret.NextRotationDate],
  );
  if (!rotating) return <RotationBadge secret={secret} />;
  if (runs.error || !runs.data) return runs.loading ? <span aria-busy="true">…</span> : <RotationBadge secret={secret} />;
  const health = rotationHealth(secret, runs.data, new Date());
  return (
    <span title={health.lastError ? `${health.summary} ${health.lastError}` : health.summary}>
      <HealthBadge health={health} />
      {health.state === 'failing' ? <span class="muted"> {health.consecutiveFailures > 1 ? `${health.consecutiveFailures} failures in a row` : 'last run failed'}</span> : null}
    </span>
  );
}

export function SecretsList({ route }: { route: Extract<Route, { page: 'secrets' }> }) {
  const { client } = useSession();
  const heading = useFocusHeading('secrets');
  const [filterKey, setFilterKey] = useState(route.filterKey);
  const [q, setQ] = useState(route.q);
  const [deleted, setDeleted] = useState(false);
  const [size, setSize] = useState(50);
  const pager = usePager(`${route.filterKey}\n${route.q}\n${deleted}\n${size}`);
  const list = useAsync(
    () =>
      client.json<ListSecretsResponse>('secretsmanager', 'ListSecrets', {
        MaxResults: size,
        ...(pager.token ? { NextToken: pager.token } : {}),
        ...(route.q ? { Filters: [{ Key: route.filterKey, Values: [route.q] }] } : {}),
        ...(deleted ? { IncludePlannedDeletion: true } : {}),
        SortOrder: 'asc',
      }),
    [route.filterKey, route.q, deleted, size, pager.token],
  );

  const search = (e: Event) => {
    e.preventDefault();
    location.hash = href({ page: 'secrets', filterKey, q: q.trim() });
  };

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Secrets
      </h1>
      <div class="actions">
        <a class="button primary" href="#/create-secret">
          Create a secret
        </a>
      </div>
      <form role="search" aria-label="Secrets" onSubmit={search} class="inline">
        <Field id="secret-filter-key" label="Search in">
          <select id="secret-filter-key" value={filterKey} onChange={(e) => setFilterKey(e.currentTarget.value)}>
            {filterKeys.map(([key, label]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <Field id="secret-filter" label="Search for" hint="starts with">
          <input id="secret-filter" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} spellcheck={false} />
        </Field>
        <div class="field narrow">
          <button type="submit">Search</button>
        </div>
      </form>
      <div class="inline">
        <div class="field narrow">
          <label for="page-size">Per page</label>
          <select id="page-size" value={String(size)} onChange={(e) => setSize(Number(e.currentTarget.value))}>
            {[25, 50, 100].map((n) => (
              <option key={n} value={String(n)}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label>
            <input type="checkbox" checked={deleted} onChange={(e) => setDeleted(e.currentTarget.checked)} /> Show secrets scheduled for deletion
          </label>
        </div>
      </div>
      <ErrorBox error={list.error} context="The secrets could not be listed." />
      {list.loading && !list.data ? <Loading what="secrets" /> : null}
      {list.data ? (
        <>
          <TableWrap label="Secrets list">
            <table data-testid="secrets-table" aria-busy={list.loading ? 'true' : 'false'}>
              <caption>
                {list.data.SecretList.length === 0 ? 'No secrets match.' : `Page ${pager.page}: ${list.data.SecretList.length} secrets${route.q ? ` matching “${route.q}”` : ''}.`}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Description</th>
                  <th scope="col">Last changed</th>
                  <th scope="col">Rotation</th>
                </tr>
              </thead>
              <tbody>
                {list.data.SecretList.map((s) => (
                  <tr key={s.ARN}>
                    <td class="wrap">
                      <a href={secretHref(s.Name)}>{s.Name}</a>
                      {s.DeletedDate ? (
                        <>
                          {' '}
                          <Badge kind="bad">Scheduled for deletion</Badge>
                        </>
                      ) : null}
                    </td>
                    <td class="wrap">{s.Description ?? ''}</td>
                    <td>
                      <Time value={date(s.LastChangedDate ?? s.CreatedDate)} />
                    </td>
                    <td>
                      <RotationHealthCell secret={s} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          <Pager label="Secrets pages" page={pager.page} hasNext={!!list.data.NextToken} busy={list.loading} onNext={() => list.data?.NextToken && pager.next(list.data.NextToken)} onPrevious={pager.previous} />
        </>
      ) : null}
    </>
  );
}
