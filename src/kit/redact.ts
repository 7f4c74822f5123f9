/**
 * Redaction written once: what is cut from text before it goes where others read
 * it (status messages, logs, read responses). Every room uses these helpers
 * rather than a copy of its own.
 */

/** What stands in for a value a reader may not see. */
export const REDACTED = '<redacted>';

/** `scheme://user:password@` (or `scheme://token@`) anywhere in a text. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>]+@/gi;

/**
 * `text` with the userinfo of every URL in it removed: `https://bob:hunter2@crm.example.com/mcp`
 * → `https://crm.example.com/mcp`. Text without such URLs comes back unchanged (the same string);
 * userinfo already masked as `user:***@` is kept.
 * @example redactUserinfo('fetch failed for http://u:p@10.0.0.5/mcp') // 'fetch failed for http://10.0.0.5/mcp'
 */
export function redactUserinfo(text: string): string {
  if (!text.includes('@')) return text;
  // `user:***@` is already masked (the store's display form): the user name is worth keeping.
  return text.replace(USERINFO, (all, scheme: string) => (/:\*{3}@$/.test(all) ? all : scheme));
}
