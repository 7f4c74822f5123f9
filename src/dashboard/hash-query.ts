/**
 * A view's state in the location hash after `?` (`#/audit?view=calls&agent=deal-desk`),
 * so a filtered view can be linked and survives a reload. Only non-empty values
 * are written; the route part before `?` is kept as it is. PURE: the view writes
 * the result with `history.replaceState` (no new history entry, no `hashchange`).
 */

/** The query after `?` in `hash` as key → value (empty when there is none). */
export function readHashQuery(hash: string): Record<string, string> {
  const i = hash.indexOf('?');
  if (i < 0) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(hash.slice(i + 1))) if (v !== '') out[k] = v;
  return out;
}

/** `hash` with its query replaced by `query`'s non-empty values (in the order given). */
export function withHashQuery(hash: string, query: Record<string, string | undefined>): string {
  const route = hash.replace(/\?.*$/s, '') || '#/';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, v);
  const text = params.toString();
  return text === '' ? route : `${route}?${text}`;
}
