import { cloneElement, createContext, isValidElement, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { AwsError, type AwsClient } from '../aws.ts';
import { formatTime, relative } from '../format.ts';

export interface Identity {
  readonly arn: string;
  readonly account: string;
  readonly userId: string;
}

export interface Session {
  readonly client: AwsClient;
  readonly identity: Identity;
  readonly region: string;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('no session');
  return session;
}

export interface AsyncState<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** Runs fn when deps change (and on reload()); a late answer of an older run is dropped. */
export function useAsync<T>(fn: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  const run = useRef(0);
  useEffect(() => {
    const id = ++run.current;
    setState((s) => ({ data: s.data, error: undefined, loading: true }));
    fn().then(
      (data) => id === run.current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => id === run.current && setState({ data: undefined, error, loading: false }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** An action's progress: run(fn) shows its error (or success text) until the next run. */
export function useAction(): {
  busy: boolean;
  error: unknown;
  done: string | undefined;
  run: (fn: () => Promise<string | void>) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const run = async (fn: () => Promise<string | void>) => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const message = await fn();
      setDone(message || undefined);
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, done, run, clear: () => (setError(undefined), setDone(undefined)) };
}

/** An AWS error exactly as the server answered it: the code, then the message, verbatim. */
export function ErrorBox({ error, context }: { error: unknown; context?: string }) {
  if (error === undefined || error === null) return null;
  if (error instanceof AwsError) {
    return (
      <div class="alert error" role="alert">
        {context ? <p>{context}</p> : null}
        <span class="code">{error.code}</span>: <span class="message">{error.message || '(no message)'}</span>
        {error.requestId ? <span class="request-id">Request id {error.requestId}</span> : null}
      </div>
    );
  }
  return (
    <div class="alert error" role="alert">
      {context ? `${context}: ` : ''}
      {error instanceof Error ? error.message : String(error)}
    </div>
  );
}

export function Done({ text }: { text: string | undefined }) {
  return text ? (
    <div class="alert success" role="status">
      {text}
    </div>
  ) : null;
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Time({ value, withRelative = false }: { value: Date | undefined; withRelative?: boolean }) {
  if (!value) return <span class="muted">—</span>;
  return (
    <time dateTime={value.toISOString()}>
      {formatTime(value)}
      {withRelative ? <span class="muted"> ({relative(value, new Date())})</span> : null}
    </time>
  );
}

/** A labelled control; the hint is the control's description (aria-describedby), not part of its name. */
export function Field({ id, label, hint, children }: { id: string; label: string; hint?: string; children: ComponentChildren }) {
  const hintId = `${id}-hint`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint ? (
        <div class="hint" id={hintId}>
          {hint}
        </div>
      ) : null}
      {hint && isValidElement(children) ? cloneElement(children, { 'aria-describedby': hintId }) : children}
    </div>
  );
}

/** A table in a scrollable, keyboard-focusable region (narrow screens scroll it sideways, not the page). */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/**
 * Token paging as the AWS list operations do it: a stack of the tokens that opened each page seen so far, so
 * Previous goes back without the server keeping anything.
 */
export function usePager(resetKey: string) {
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  useEffect(() => setTokens([undefined]), [resetKey]);
  const index = tokens.length - 1;
  return {
    token: tokens[index],
    page: index + 1,
    next: (token: string) => setTokens((t) => [...t, token]),
    previous: () => setTokens((t) => (t.length > 1 ? t.slice(0, -1) : t)),
    first: () => setTokens([undefined]),
  };
}

export function Pager({ label, page, hasNext, onNext, onPrevious, busy }: { label: string; page: number; hasNext: boolean; onNext: () => void; onPrevious: () => void; busy?: boolean }) {
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" onClick={onPrevious} disabled={page <= 1 || busy}>
        Previous page
      </button>
      <span aria-live="polite">Page {page}</span>
      <button type="button" onClick={onNext} disabled={!hasNext || busy}>
        Next page
      </button>
    </nav>
  );
}

export function Badge({ kind, children }: { kind: 'ok' | 'bad' | 'warn' | 'info' | 'off'; children: ComponentChildren }) {
  return <span class={`badge ${kind}`}>{children}</span>;
}

/** Moves focus to the page's heading when the page changes, so keyboard and screen-reader users start there. */
export function useFocusHeading(key: string) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, [key]);
  return ref;
}
