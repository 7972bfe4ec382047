import { useEffect, useState } from 'preact/hooks';
import { href, parseRoute, type Route } from '../router.ts';
import { SessionContext, type Session } from './common.tsx';
import { SignIn } from './SignIn.tsx';
import { SecretsList } from './SecretsList.tsx';
import { CreateSecret } from './CreateSecret.tsx';
import { SecretPage } from './SecretPage.tsx';
import { RotationPage } from './RotationPage.tsx';
import { ParametersPage } from './ParametersPage.tsx';
import { KeysPage } from './KeysPage.tsx';
import { AuditPage, AuditEventPage } from './AuditPage.tsx';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

const sections: { page: Route['page']; label: string; to: string; also: Route['page'][] }[] = [
  { page: 'secrets', label: 'Secrets', to: '#/secrets', also: ['secret', 'create-secret'] },
  { page: 'rotation', label: 'Rotation', to: '#/rotation', also: [] },
  { page: 'parameters', label: 'Parameters', to: '#/parameters', also: [] },
  { page: 'keys', label: 'KMS keys', to: '#/keys', also: [] },
  { page: 'audit', label: 'Audit', to: '#/audit', also: ['audit-event'] },
];

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'secrets':
      return <SecretsList route={route} />;
    case 'create-secret':
      return <CreateSecret />;
    case 'secret':
      return <SecretPage key={route.id} id={route.id} tab={route.tab} />;
    case 'rotation':
      return <RotationPage />;
    case 'parameters':
      return <ParametersPage />;
    case 'keys':
      return <KeysPage />;
    case 'audit':
      return <AuditPage route={route} />;
    case 'audit-event':
      return <AuditEventPage eventId={route.eventId} />;
    case 'not-found':
      return (
        <>
          <h1 tabIndex={-1}>Not found</h1>
          <p>
            There is no page at this address. <a href={href({ page: 'secrets', filterKey: 'all', q: '' })}>Go to the secrets</a>.
          </p>
        </>
      );
  }
}

export function App({ defaultRegion }: { defaultRegion: string }) {
  const [session, setSession] = useState<Session | null>(null);
  const route = useRoute();

  useEffect(() => {
    if (!session) return undefined;
    // Leaving the page forgets the key, and a page brought back from the back/forward cache starts over.
    const hide = () => session.client.forget();
    const show = (e: PageTransitionEvent) => e.persisted && location.reload();
    window.addEventListener('pagehide', hide);
    window.addEventListener('pageshow', show);
    return () => {
      window.removeEventListener('pagehide', hide);
      window.removeEventListener('pageshow', show);
    };
  }, [session]);

  if (!session) {
    return <SignIn defaultRegion={defaultRegion} onSignedIn={setSession} />;
  }

  const signOut = () => {
    session.client.forget();
    setSession(null);
    // A fresh document: nothing of the session survives in this page's memory either.
    location.hash = '#/';
    location.reload();
  };

  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/secrets">
          <img src="favicon.svg" alt="" width={22} height={22} />
          Strongroom
        </a>
        <nav class="main" aria-label="Main">
          <ul>
            {sections.map((s) => (
              <li key={s.page}>
                <a href={s.to} aria-current={route.page === s.page || s.also.includes(route.page) ? 'page' : undefined}>
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="whoami">
          <span>
            Signed in as <span class="arn mono" data-testid="principal">{session.identity.arn}</span> · {session.region}
          </span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </SessionContext.Provider>
  );
}
