/**
 * Heuristics for secrets written where only references belong. Findings never
 * repeat the value: a message about a leaked secret must not leak it again.
 */

/** Name segments that mark an environment variable as secret (`DB_PASSWORD`, `API_KEY`, `GITHUB_TOKEN`). */
const SECRET_NAME_SEGMENTS = new Set([
  'TOKEN',
  'SECRET',
  'PASSWORD',
  'PASSWD',
  'KEY',
  'APIKEY',
  'CREDENTIAL',
  'CREDENTIALS',
  'PRIVATE',
]);

/** Values that look like well-known credential formats, whatever the variable is called. */
const SECRET_VALUE_PATTERNS: readonly { what: string; re: RegExp }[] = [
  { what: 'an AWS access key', re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { what: 'a JSON Web Token', re: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/ },
  { what: 'an API key (sk-…)', re: /\bsk-(live-|test-|proj-|ant-)?[A-Za-z0-9_-]{16,}/ },
  { what: 'a GitHub token', re: /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/ },
  { what: 'a Slack token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { what: 'a private key', re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { what: 'a Google API key', re: /\bAIza[0-9A-Za-z_-]{35}\b/ },
];

/** What kind of credential `value` looks like ("an AWS access key"), or undefined. */
export function secretValueKind(value: string): string | undefined {
  return SECRET_VALUE_PATTERNS.find((p) => p.re.test(value))?.what;
}

/**
 * True when a variable (or payload key) of this name conventionally holds a secret.
 * Words are split at `_`, `-`, `.` and camelCase humps, so `apiKey` reads as API KEY.
 * @example isSecretLookingName('GITHUB_TOKEN') // true
 * @example isSecretLookingName('clientSecret') // true
 */
export function isSecretLookingName(name: string): boolean {
  const segments = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[_\-.]+/);
  return segments.some((s) => SECRET_NAME_SEGMENTS.has(s) || s.endsWith('TOKEN') || s.endsWith('PASSWORD') || s.endsWith('SECRET') || s.endsWith('APIKEY'));
}

/**
 * Why `name=value` looks like a literal secret, or undefined when it does not.
 * Empty values and `${…}` style placeholders are not secrets.
 */
export function literalSecretReason(name: string, value: string): string | undefined {
  const kind = secretValueKind(value);
  if (kind) return `its value looks like ${kind}`;
  if (value.trim() === '' || /^\$\{[^}]*\}$/.test(value.trim())) return undefined;
  if (isSecretLookingName(name)) return `its name says it holds a secret`;
  return undefined;
}
