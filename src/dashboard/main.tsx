/**
 * The dashboard's entry point: asks who is signed in, shows the sign-in page or
 * the app shell (header with the person and sign-out, nav, the routed view).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, SIGNED_OUT_EVENT } from './api.ts';
import { parseRoute, useRoute, type Route } from './router.ts';
import { currentSession, signOut, SignIn, type SessionInfo } from './session.tsx';
import { AgentsView } from './views/agents.tsx';
import { ApprovalsView } from './views/approvals.tsx';
import { AuditView } from './views/audit.tsx';
import { FleetView } from './views/fleet.tsx';
import { ServerView } from './views/server.tsx';
import './styles.css';

const NAV: Array<{ href: string; label: string; view: Route['view'] }> = [
  { href: '#/', label: 'Fleet', view: 'fleet' },
  { href: '#/approvals', label: 'Approvals', view: 'approvals' },
  { href: '#/audit', label: 'Audit', view: 'audit' },
  { href: '#/agents', label: 'Agents', view: 'agents' },
];

function View(props: { route: Route; session: SessionInfo }) {
  const { route, session } = props;
  switch (route.view) {
    case 'fleet':
      return <FleetView session={session} />;
    case 'server':
      return <ServerView session={session} name={route.name} />;
    case 'approvals':
      return <ApprovalsView session={session} />;
    case 'audit':
      return <AuditView session={session} />;
    case 'agents':
      return <AgentsView session={session} />;
    case 'unknown':
      return (
        <section aria-labelledby="view-title">
          <h1 id="view-title">Not found</h1>
          <p>
            No page at <code>{route.hash}</code>. <a href="#/">Go to the fleet</a>.
          </p>
        </section>
      );
  }
}

function Shell(props: { session: SessionInfo; onSignedOut: () => void }) {
  const route = useRoute();
  const { session } = props;
  const active = route.view === 'server' ? 'fleet' : route.view;
  const out = async () => {
    try {
      await signOut();
    } finally {
      props.onSignedOut();
    }
  };
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Berth</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.href}>
                <a href={n.href} aria-current={active === n.view ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span data-testid="signed-in-as">
            {session.label} <span class="role">({session.role}{session.team !== undefined ? `, team ${session.team}` : ''})</span>
          </span>
          <button type="button" class="secondary" onClick={out}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <View route={route} session={session} />
      </main>
    </>
  );
}

function App() {
  const [session, setSession] = useState<SessionInfo | undefined | null>(null);
  const [notice, setNotice] = useState<string | undefined>();
  useEffect(() => {
    currentSession().then(
      (s) => setSession(s),
      (err: unknown) => {
        setNotice(err instanceof ApiError ? err.message : String(err));
        setSession(undefined);
      },
    );
    // A request refused with 401 anywhere (the session expired or was revoked) returns to sign-in.
    const onEnded = () => {
      setNotice('Your session ended; sign in again.');
      setSession(undefined);
    };
    addEventListener(SIGNED_OUT_EVENT, onEnded);
    return () => removeEventListener(SIGNED_OUT_EVENT, onEnded);
  }, []);
  if (session === null) return <p class="loading" role="status">Loading…</p>;
  if (session === undefined) return <SignIn {...(notice !== undefined ? { notice } : {})} onSignedIn={(s) => { setNotice(undefined); setSession(s); if (parseRoute(location.hash).view === 'unknown') location.hash = '#/'; }} />;
  return <Shell session={session} onSignedOut={() => { setNotice('Signed out.'); setSession(undefined); }} />;
}

render(<App />, document.getElementById('app')!);
