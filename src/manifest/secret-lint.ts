/**
 * Heuristics for secrets written where only references belong. Findings never
 * repeat the value: a message about a leaked secret must not leak it again.
 *
 * Four kinds of evidence, each with its own reason: the variable's (or flag's)
 * name says it holds a secret; the value has a well-known credential format; a
 * URL carries a password (`user:password@`) or a secret query parameter; or a
 * long token is random enough to be a key (Shannon entropy). Paths, plain URLs,
 * image references, digests (`sha256:…`), hex hashes and UUIDs are never
 * flagged for entropy alone.
 */

/** Whole name segments that mark a variable as secret (`DB_PASS`, `API_KEY`, `SIGNING_PRIVATE_KEY`). */
const SECRET_SEGMENTS = new Set(['KEY', 'APIKEY', 'PASS', 'PASSWD', 'PASSWORD', 'PASSPHRASE', 'PASSCODE', 'SECRET', 'TOKEN', 'CREDENTIAL', 'CREDENTIALS', 'PRIVATE', 'PRIVATEKEY']);

/** Endings of a segment that mark it secret whatever precedes them (`GHTOKEN`, `DBPASSWORD`, `CLIENTSECRET`). */
const SECRET_ENDINGS = ['TOKEN', 'PASSWORD', 'PASSWD', 'SECRET', 'APIKEY', 'CREDENTIAL', 'CREDENTIALS', 'PRIVATEKEY'];

/**
 * A last segment that makes the name about where a secret is, not the secret:
 * `DB_PASSWORD_FILE=/run/secrets/db`, `API_KEY_ARN=arn:…`, `TOKEN_URL=https://…`.
 */
const REFERENCE_ENDINGS = new Set(['FILE', 'PATH', 'DIR', 'ARN', 'NAME', 'ID', 'URL', 'URI', 'ENDPOINT', 'HOST', 'PORT', 'ENV', 'STDIN', 'TTL', 'EXPIRY', 'HEADER', 'TYPE', 'LENGTH']);

/** Values that look like well-known credential formats, whatever the variable is called. */
const SECRET_VALUE_PATTERNS: readonly { what: string; re: RegExp }[] = [
  { what: 'an AWS access key', re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { what: 'a JSON Web Token', re: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/ },
  { what: 'an API key (sk-…)', re: /\bsk-(live-|test-|proj-|ant-)?[A-Za-z0-9_-]{16,}/ },
  { what: 'a Stripe secret key', re: /\b[sr]k_(live|test)_[A-Za-z0-9]{10,}/ },
  { what: 'a GitHub token', re: /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/ },
  { what: 'a GitLab token', re: /\bglpat-[A-Za-z0-9_-]{20,}/ },
  { what: 'an npm token', re: /\bnpm_[A-Za-z0-9]{36}\b/ },
  { what: 'a Slack token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { what: 'a Slack webhook URL', re: /hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]{16,}/ },
  { what: 'a private key', re: /-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----/ },
  { what: 'a Google API key', re: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { what: 'an Azure storage key', re: /AccountKey=[A-Za-z0-9+/=]{20,}/ },
  { what: 'a bearer credential', re: /^(Bearer|Basic|Token)\s+[A-Za-z0-9+/=._~-]{12,}$/ },
];

/** What kind of credential `value` looks like ("an AWS access key"), or undefined. */
export function secretValueKind(value: string): string | undefined {
  return SECRET_VALUE_PATTERNS.find((p) => p.re.test(value))?.what;
}

function segmentsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[_\-.]+/)
    .filter((s) => s !== '');
}

/**
 * True when a variable (or payload key) of this name conventionally holds a secret.
 * Words are split at `_`, `-`, `.` and camelCase humps, so `apiKey` reads as API KEY.
 * @example isSecretLookingName('GITHUB_TOKEN') // true
 * @example isSecretLookingName('clientSecret') // true
 * @example isSecretLookingName('DB_PASS') // true
 */
export function isSecretLookingName(name: string): boolean {
  return segmentsOf(name).some((s) => SECRET_SEGMENTS.has(s) || SECRET_ENDINGS.some((e) => s.endsWith(e)));
}

/**
 * True when the name says it holds a secret itself, not where one is
 * (`DB_PASSWORD` yes; `DB_PASSWORD_FILE`, `API_KEY_ARN` no).
 */
function namesSecretValue(name: string): boolean {
  const segments = segmentsOf(name);
  const last = segments[segments.length - 1];
  return isSecretLookingName(name) && !(last !== undefined && REFERENCE_ENDINGS.has(last));
}

/** A placeholder, not a value: empty, `${VAR}`, `$VAR`, `<…>`, `changeme`-like words are not judged. */
function isPlaceholder(value: string): boolean {
  const v = value.trim();
  return v === '' || /^\$\{[^}]*\}$/.test(v) || /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(v) || /^<[^>]*>$/.test(v);
}

/**
 * Why a URL inside `value` carries a secret: a password in its userinfo, or a
 * query parameter with a secret-looking name. Undefined otherwise.
 */
export function urlSecretReason(value: string): string | undefined {
  for (const m of value.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi)) {
    let u: URL;
    try {
      u = new URL(m[0]);
    } catch {
      continue;
    }
    if (u.password !== '') return 'it is a URL with a password in it (user:password@)';
    const param = [...u.searchParams.entries()].find(([k, v]) => v !== '' && !isPlaceholder(v) && namesSecretValue(k));
    if (param) return `it is a URL whose query parameter "${param[0]}" holds a secret`;
  }
  return undefined;
}

/** Bits per character of `s` (Shannon entropy over its characters). */
export function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Shortest token judged by entropy, and the bits per character from which it reads as random. */
const ENTROPY_MIN_LENGTH = 24;
const ENTROPY_MIN_BITS = 4.0;
/**
 * Share of neighbouring characters of different classes (lower, upper, digit,
 * other) from which a token reads as random: about 0.6 for random base62/base64,
 * 0.2–0.4 for camelCase identifiers, which have as much entropy per character.
 */
const MIN_CLASS_CHANGES = 0.45;

function charClass(c: string): number {
  if (c >= 'a' && c <= 'z') return 0;
  if (c >= 'A' && c <= 'Z') return 1;
  if (c >= '0' && c <= '9') return 2;
  return 3;
}

/** Share of neighbouring characters in `s` whose classes differ. */
function classChanges(s: string): number {
  let changes = 0;
  for (let i = 1; i < s.length; i++) if (charClass(s[i]!) !== charClass(s[i - 1]!)) changes++;
  return changes / Math.max(1, s.length - 1);
}

/**
 * True when `value` holds a long token random enough to be a key: at least
 * {@link ENTROPY_MIN_LENGTH} characters of letters, digits and `+/_-=`, mixing
 * upper and lower case, at {@link ENTROPY_MIN_BITS} bits per character or more,
 * changing character class as often as random text does ({@link MIN_CLASS_CHANGES}).
 * A heuristic: about 1 in 100 random 32-character keys (1 in 15 of 24) passes unflagged.
 * Never for paths, URLs, image references, `sha256:` digests, hex hashes or UUIDs.
 */
export function looksHighEntropy(value: string): boolean {
  const v = value.trim();
  if (/^(\/|\.\.?\/|~\/)/.test(v)) return false; // a path
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return false; // a URL: judged by urlSecretReason
  if (/^[a-z0-9.-]+(:\d+)?\/[A-Za-z0-9._/-]+(:[\w.-]+)?(@sha(256|512):[0-9a-f]+)?$/.test(v)) return false; // an image reference
  const withoutDigests = v.replace(/\b(sha1|sha256|sha384|sha512|md5):[0-9a-fA-F]+/g, ' ');
  for (const token of withoutDigests.match(/[A-Za-z0-9+/_=-]{24,}/g) ?? []) {
    if (/^[0-9a-fA-F-]+$/.test(token)) continue; // hex hashes, UUIDs
    if (token.includes('/') && token.split('/').every((part) => part.length < ENTROPY_MIN_LENGTH)) continue; // path-like words
    if (!/[a-z]/.test(token) || !/[A-Z]/.test(token)) continue;
    if (shannonEntropy(token) >= ENTROPY_MIN_BITS && classChanges(token) >= MIN_CLASS_CHANGES) return true;
  }
  return false;
}

/**
 * Why a value, whatever its name, looks like a literal secret: a known credential
 * format, a URL with a password, or a random-looking token. Undefined otherwise.
 */
export function valueSecretReason(value: string): string | undefined {
  if (isPlaceholder(value)) return undefined;
  const kind = secretValueKind(value);
  if (kind) return `its value looks like ${kind}`;
  const url = urlSecretReason(value);
  if (url) return url;
  if (looksHighEntropy(value)) return `its value has a long random-looking token, as keys do`;
  return undefined;
}

/**
 * Why `name=value` looks like a literal secret, or undefined when it does not.
 * Empty values and `${…}` style placeholders are not secrets; names about where a
 * secret is (`*_FILE`, `*_ARN`, `*_URL`) are judged by their value only.
 */
export function literalSecretReason(name: string, value: string): string | undefined {
  if (isPlaceholder(value)) return undefined;
  const byValue = valueSecretReason(value);
  if (byValue) return byValue;
  if (namesSecretValue(name)) return `its name says it holds a secret`;
  return undefined;
}

/** A command-line flag that takes a secret (`--password`, `--api-key`, `-token`), not where one is (`--token-file`). */
function isSecretFlag(flag: string): boolean {
  return namesSecretValue(flag.replace(/^-+/, ''));
}

/**
 * Why the words of a command line hold a literal secret, by index: `--password=…`,
 * `--token …` (the value is the next word), `NAME=value` with a secret name, or a
 * value of a known format, with a password, or random-looking.
 * @example argSecretReasons(['--port', '8080', '--password=hunter2']) // Map { 2 => 'it passes --password a literal value' }
 */
export function argSecretReasons(args: readonly unknown[]): Map<number, string> {
  const out = new Map<number, string>();
  args.forEach((arg, i) => {
    if (typeof arg !== 'string') return;
    const flag = /^(--?[A-Za-z][A-Za-z0-9_.-]*)(?:=(.*))?$/s.exec(arg);
    if (flag) {
      const [, name, inline] = flag;
      if (!isSecretFlag(name!)) return;
      if (inline !== undefined) {
        if (!isPlaceholder(inline)) out.set(i, `it passes ${name} a literal value`);
        return;
      }
      const next = args[i + 1];
      if (typeof next === 'string' && !next.startsWith('-') && !isPlaceholder(next)) out.set(i + 1, `it is the value of ${name}`);
      return;
    }
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(arg);
    const reason = assignment ? literalSecretReason(assignment[1]!, assignment[2]!) : valueSecretReason(arg);
    if (reason && !out.has(i)) out.set(i, reason);
  });
  return out;
}
