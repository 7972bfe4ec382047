import { useState } from 'preact/hooks';
import { date } from '../aws.ts';
import { fromLocalInput } from '../format.ts';
import { href, type Route } from '../router.ts';
import type { AuditVerification, LookupEventsResponse, TrailEvent } from '../types.ts';
import { Badge, ErrorBox, Field, Loading, Pager, TableWrap, Time, useAction, useAsync, useFocusHeading, usePager, useSession } from './common.tsx';

const attributes: [string, string][] = [
  ['ResourceName', 'Resource (ARN)'],
  ['Username', 'User'],
  ['EventName', 'Event name'],
  ['EventSource', 'Event source'],
  ['AccessKeyId', 'Access key id'],
  ['ReadOnly', 'Read only (true/false)'],
  ['ResourceType', 'Resource type'],
  ['EventId', 'Event id'],
];

function record(event: TrailEvent): Record<string, unknown> | undefined {
  try {
    return event.CloudTrailEvent ? (JSON.parse(event.CloudTrailEvent) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A datetime-local value for a Date in the person's zone. */
const toLocalInput = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);

function Verify() {
  const { client } = useSession();
  const [result, setResult] = useState<AuditVerification | null>(null);
  const action = useAction();
  const verify = () =>
    action.run(async () => {
      setResult(await client.json<AuditVerification>('strongroom', 'VerifyAuditTrail', {}));
    });
  return (
    <div class="card">
      <h2>Chain verification</h2>
      <p class="muted">Checks every record’s link to the one before and every signed digest (Strongroom.VerifyAuditTrail, with the public key stored by the server). For an independent check, run `strongroom audit verify --public-key` with the published key.</p>
      <div class="actions">
        <button type="button" onClick={verify} disabled={action.busy}>
          Verify the chain
        </button>
        {action.busy ? <span role="status">Verifying…</span> : null}
      </div>
      <ErrorBox error={action.error} context="The trail was not verified." />
      {result ? (
        <div class={`alert ${result.Verified ? 'success' : 'error'}`} role="status" data-testid="chain-status">
          <Badge kind={result.Verified ? 'ok' : 'bad'}>{result.Verified ? 'Verified' : 'FAILED'}</Badge> {result.Message}
          {result.FirstBadSeq ? <div>First bad record: {result.FirstBadSeq}</div> : null}
        </div>
      ) : null}
    </div>
  );
}

export function AuditPage({ route }: { route: Extract<Route, { page: 'audit' }> }) {
  const { client } = useSession();
  const heading = useFocusHeading('audit');
  const [attribute, setAttribute] = useState(route.attribute);
  const [value, setValue] = useState(route.value);
  const [start, setStart] = useState(route.start);
  const [end, setEnd] = useState(route.end);
  const key = `${route.attribute}\n${route.value}\n${route.start}\n${route.end}`;
  const pager = usePager(key);
  const events = useAsync(() => {
    const startTime = fromLocalInput(route.start);
    const endTime = fromLocalInput(route.end);
    return client.json<LookupEventsResponse>('cloudtrail', 'LookupEvents', {
      MaxResults: 50,
      ...(route.value ? { LookupAttributes: [{ AttributeKey: route.attribute, AttributeValue: route.value }] } : {}),
      ...(startTime ? { StartTime: startTime.getTime() / 1000 } : {}),
      ...(endTime ? { EndTime: endTime.getTime() / 1000 } : {}),
      ...(pager.token ? { NextToken: pager.token } : {}),
    });
  }, [key, pager.token]);

  const search = (e: Event) => {
    e.preventDefault();
    location.hash = href({ page: 'audit', attribute, value: value.trim(), start, end });
  };
  const lastHour = () => {
    const now = new Date();
    setStart(toLocalInput(new Date(now.getTime() - 3600_000)));
    setEnd('');
  };

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Audit trail
      </h1>
      <form role="search" aria-label="Audit trail" onSubmit={search}>
        <div class="inline">
          <Field id="audit-attribute" label="Search by">
            <select id="audit-attribute" value={attribute} onChange={(e) => setAttribute(e.currentTarget.value)}>
              {attributes.map(([k, label]) => (
                <option key={k} value={k}>
                  {label}
                </option>
              ))}
            </select>
          </Field>
          <Field id="audit-value" label="Value" hint="exact">
            <input id="audit-value" type="search" spellcheck={false} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
          </Field>
        </div>
        <div class="inline">
          <Field id="audit-start" label="From" hint="your time zone">
            <input id="audit-start" type="datetime-local" value={start} onInput={(e) => setStart(e.currentTarget.value)} />
          </Field>
          <Field id="audit-end" label="To">
            <input id="audit-end" type="datetime-local" value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
          </Field>
        </div>
        <div class="actions">
          <button type="submit" class="primary">
            Search
          </button>
          <button type="button" onClick={lastHour}>
            Last hour
          </button>
        </div>
      </form>
      <ErrorBox error={events.error} context="The trail could not be searched." />
      {events.loading && !events.data ? <Loading what="events" /> : null}
      {events.data ? (
        <>
          <TableWrap label="Audit events">
            <table data-testid="audit-table" aria-busy={events.loading ? 'true' : 'false'}>
              <caption>{events.data.Events.length === 0 ? 'No events match.' : `Page ${pager.page}: ${events.data.Events.length} events, newest first.`}</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Event</th>
                  <th scope="col">User</th>
                  <th scope="col">Resource</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {events.data.Events.map((ev) => {
                  const r = record(ev);
                  const errorCode = typeof r?.['errorCode'] === 'string' ? (r['errorCode'] as string) : undefined;
                  return (
                    <tr key={ev.EventId} data-event={ev.EventName}>
                      <td>
                        <a href={href({ page: 'audit-event', eventId: ev.EventId })}>
                          <Time value={date(ev.EventTime)} />
                        </a>
                      </td>
                      <td>
                        {ev.EventName}
                        <div class="muted">{ev.EventSource}</div>
                      </td>
                      <td class="wrap">{ev.Username ?? '—'}</td>
                      <td class="wrap mono">{ev.Resources?.map((x) => x.ResourceName).join(', ') ?? ''}</td>
                      <td>{errorCode ? <Badge kind="bad">{errorCode}</Badge> : <Badge kind="ok">OK</Badge>}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableWrap>
          <Pager label="Audit pages" page={pager.page} hasNext={!!events.data.NextToken} busy={events.loading} onNext={() => events.data?.NextToken && pager.next(events.data.NextToken)} onPrevious={pager.previous} />
        </>
      ) : null}
      <Verify />
    </>
  );
}

export function AuditEventPage({ eventId }: { eventId: string }) {
  const { client } = useSession();
  const heading = useFocusHeading(eventId);
  const found = useAsync(() => client.json<LookupEventsResponse>('cloudtrail', 'LookupEvents', { LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: eventId }], MaxResults: 1 }), [eventId]);
  const event = found.data?.Events[0];
  const r = event ? record(event) : undefined;
  return (
    <>
      <p>
        <a href="#/audit">Audit trail</a> /
      </p>
      <h1 ref={heading} tabIndex={-1}>
        {event ? `${event.EventName} at ` : 'Audit record '}
        {event ? <Time value={date(event.EventTime)} /> : eventId}
      </h1>
      <ErrorBox error={found.error} context="The record could not be read." />
      {found.loading ? <Loading what="the record" /> : null}
      {found.data && !event ? <p>No record has this event id.</p> : null}
      {event ? (
        <>
          <dl class="meta">
            <dt>Event id</dt>
            <dd class="mono">{event.EventId}</dd>
            <dt>User</dt>
            <dd>{event.Username ?? '—'}</dd>
            <dt>Access key</dt>
            <dd class="mono">{event.AccessKeyId ?? '—'}</dd>
            <dt>Source</dt>
            <dd>{event.EventSource}</dd>
            <dt>Outcome</dt>
            <dd>{typeof r?.['errorCode'] === 'string' ? `${r['errorCode'] as string}: ${(r['errorMessage'] as string | undefined) ?? ''}` : 'Succeeded'}</dd>
          </dl>
          <h2>Record</h2>
          <pre data-testid="audit-record" aria-label="Audit record" tabIndex={0}>{r ? JSON.stringify(r, null, 2) : event.CloudTrailEvent}</pre>
        </>
      ) : null}
    </>
  );
}
