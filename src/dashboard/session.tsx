/**
 * Signing in and out: the sign-in page (a Berth token exchanged once for the
 * session cookie; "Sign in with SSO" when /ui/config says OIDC is on), and the
 * calls behind it. The token never stays in the page: it is sent once and the
 * field is cleared; the cookie that results is HttpOnly.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, requestJson, setCsrfToken } from './api.ts';

/** Who is signed in, as `/ui/session` says. */
export interface SessionInfo {
  csrfToken: string;
  tokenId: string;
  role: 'admin' | 'publisher' | 'reader' | 'approver';
  team?: string;
  label: string;
  expiresAt: string;
}

/** What `/ui/config` says. */
export interface UiConfig {
  oidc: { enabled: boolean; loginUrl: string };
  version: string;
}

/** The current session, or undefined when not signed in (401). @throws ApiError for anything else */
export async function currentSession(): Promise<SessionInfo | undefined> {
  try {
    const s = await requestJson<SessionInfo>('/ui/session');
    setCsrfToken(s.csrfToken);
    return s;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return undefined;
    throw err;
  }
}

/** Exchanges `token` for a session. @throws ApiError with the registry's reason */
export async function signIn(token: string): Promise<SessionInfo> {
  const s = await requestJson<SessionInfo>('/ui/session', { method: 'POST', body: { token } });
  setCsrfToken(s.csrfToken);
  return s;
}

/** Ends the session (the registry revokes it and clears the cookie). */
export async function signOut(): Promise<void> {
  try {
    await requestJson<void>('/ui/session', { method: 'DELETE' });
  } finally {
    setCsrfToken(undefined);
  }
}

/** The sign-in page. */
export function SignIn(props: { onSignedIn: (s: SessionInfo) => void; notice?: string }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [config, setConfig] = useState<UiConfig | undefined>();
  useEffect(() => {
    requestJson<UiConfig>('/ui/config').then(setConfig, () => undefined);
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const s = await signIn(token.trim());
      setToken('');
      props.onSignedIn(s);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <h1>Sign in to Berth</h1>
      {props.notice !== undefined && <p role="status" class="notice">{props.notice}</p>}
      <form onSubmit={submit} aria-describedby="token-help">
        <label for="token">Berth token</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck={false} required value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <p id="token-help" class="help">
          A reader, publisher, approver or admin token (<code>berth token create</code>; <code>berth up</code> writes the admin token to <code>.berth/admin-token</code>). It is exchanged once for a session cookie and not kept in the page.
        </p>
        {error !== undefined && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {config?.oidc.enabled && (
        <p>
          <a class="button secondary" href={config.oidc.loginUrl}>
            Sign in with SSO
          </a>
        </p>
      )}
    </main>
  );
}
