/**
 * What every Berth process logs the same way, whichever room starts it: the one
 * redaction list and the error serializer. The CLI's logger factory
 * (src/cli/logger.ts) and the stdio bridge process (a process of its own under
 * the local runtime and on ECS) both build their pino options here.
 */
import { hostname } from 'node:os';
import { stdSerializers, type LoggerOptions } from 'pino';
import { redactUserinfo } from './redact.ts';

/**
 * What is censored in every log line (one level of nesting for `*.`): the
 * authorization and cookie headers of the registry API and the gateway, tokens,
 * passwords, secret values and API keys, and store URIs (which may carry
 * `user:password@`; log the redacted form as `store` instead).
 */
export const REDACT_PATHS: readonly string[] = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'cookie',
  'headers.cookie',
  '*.headers.cookie',
  'req.headers.cookie',
  'headers["x-api-key"]',
  'req.headers["x-api-key"]',
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'secretValue',
  '*.secretValue',
  'apiKey',
  '*.apiKey',
  'uri',
  '*.uri',
  'connectionString',
  '*.connectionString',
];

/**
 * pino options for a process named `component`: its level, the redaction list,
 * and the `errWithCause` serializer, so `{ err }` keeps the type, stack and cause chain.
 * @example const logger = pino(logOptions('registry', 'info'), process.stdout);
 */
export function logOptions(component: string, level: string): LoggerOptions {
  return {
    level,
    base: { component, pid: process.pid, hostname: hostname() },
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    serializers: { err: (err: Error) => scrubStrings(stdSerializers.errWithCause(err), 0) },
    hooks: {
      // A URL's userinfo (`user:password@`) is cut from the message and the top-level fields of every line.
      logMethod(args, method) {
        // A bare error's message becomes the line's msg after this hook: give it as the msg, cut, instead.
        const [first, second] = args as unknown[];
        if (first instanceof Error && typeof second !== 'string') {
          method.apply(this, [{ err: first }, redactUserinfo(first.message), ...args.slice(1)] as unknown as Parameters<typeof method>);
          return;
        }
        method.apply(this, args.map((a) => scrubStrings(a, 1)) as Parameters<typeof method>);
      },
    },
  };
}

/**
 * `value` with URL userinfo cut from its strings, `depth` levels of objects deep
 * (0: strings and the object's own string fields). Values without an `@` in them
 * are returned as they are, so an ordinary line costs one scan per string.
 */
function scrubStrings<T>(value: T, depth: number): T {
  if (typeof value === 'string') return redactUserinfo(value) as T;
  if (typeof value !== 'object' || value === null || value instanceof Error || Array.isArray(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const scrubbed = typeof v === 'string' ? redactUserinfo(v) : depth > 0 || (k === 'cause' && depth > -8) ? scrubStrings(v, depth - 1) : v;
    if (scrubbed !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = scrubbed;
  }
  return (out ?? value) as T;
}
