/**
 * The page a person sees when signing in with the identity provider fails:
 * plain HTML (no script, no style, so the dashboard's strict Content-Security-Policy
 * holds) saying what went wrong and what to do, and a link back to the sign-in page.
 */
import { DASHBOARD_SECURITY_HEADERS } from '../headers.ts';

/**
 * The response for a refused sign-in; `extraCookies` are set with it (the sign-in state cleared).
 * @example return signInErrorPage(403, 'your account is in none of the groups mapped to a Berth role: …', 'once that is done, sign in again', [clear]);
 */
export function signInErrorPage(status: number, reason: string, advice: string, extraCookies: readonly string[] = []): Response {
  const body = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign-in failed · Berth</title></head>
<body>
<main>
<h1>Sign-in failed</h1>
<p>${escapeHtml(reason.charAt(0).toUpperCase() + reason.slice(1))}.</p>
<p>What to do: ${escapeHtml(advice)}.</p>
<p><a href="/ui/">Back to the sign-in page</a></p>
</main>
</body>
</html>
`;
  const headers = new Headers({ ...DASHBOARD_SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  for (const c of extraCookies) headers.append('set-cookie', c);
  return new Response(body, { status, headers });
}

/** Text made safe inside HTML elements and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}
