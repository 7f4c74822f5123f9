/**
 * The origin a request was made to, as a browser would name it: the Host header
 * with the scheme the client used (`X-Forwarded-Proto` from a TLS-terminating
 * proxy, else the socket's). Used for the Origin check on cookie-authenticated
 * writes and for the cookie's `Secure` flag.
 */

/** Whether the client reached us over HTTPS (directly or through a proxy that says so). */
export function requestIsHttps(req: Request): boolean {
  const forwarded = req.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return forwarded !== undefined && forwarded !== '' ? forwarded === 'https' : new URL(req.url).protocol === 'https:';
}

/** `scheme://host[:port]` of the request, e.g. `http://127.0.0.1:7070`. */
export function requestOrigin(req: Request): string {
  const url = new URL(req.url);
  const host = req.headers.get('host') ?? url.host;
  return `${requestIsHttps(req) ? 'https' : 'http'}://${host}`.toLowerCase();
}

/** Why a request's Origin header is refused, or undefined when it is absent or equals the request's own origin. */
export function crossOriginReason(req: Request): string | undefined {
  const origin = req.headers.get('origin');
  if (origin === null) return undefined;
  const own = requestOrigin(req);
  return origin.toLowerCase() === own ? undefined : `the request came from origin ${origin}, not from this registry's ${own}; the dashboard only accepts writes from its own pages`;
}
