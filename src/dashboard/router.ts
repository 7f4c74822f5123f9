/**
 * Hash routes (the registry serves one index.html; the part after `#` picks the view):
 * `#/` fleet, `#/servers/<name>`, `#/approvals`, `#/audit`, `#/agents`.
 */
import { useEffect, useState } from 'preact/hooks';

/** A parsed route. */
export type Route = { view: 'fleet' } | { view: 'server'; name: string } | { view: 'approvals' } | { view: 'audit' } | { view: 'agents' } | { view: 'unknown'; hash: string };

/** The route a location hash names. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const server = /^\/servers\/([^/]+)$/.exec(path);
  if (server) return { view: 'server', name: decodeURIComponent(server[1]!) };
  switch (path) {
    case '/':
      return { view: 'fleet' };
    case '/approvals':
      return { view: 'approvals' };
    case '/audit':
      return { view: 'audit' };
    case '/agents':
      return { view: 'agents' };
    default:
      return { view: 'unknown', hash: path };
  }
}

/** The link to a server's page. */
export function serverHref(name: string): string {
  return `#/servers/${encodeURIComponent(name)}`;
}

/** The current route, following `hashchange`. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
