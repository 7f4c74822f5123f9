/**
 * What every Berth process logs the same way, whichever room starts it: the one
 * redaction list and the error serializer. The CLI's logger factory
 * (src/cli/logger.ts) and the stdio bridge process (a process of its own under
 * the local runtime and on ECS) both build their pino options here.
 */
import { hostname } from 'node:os';
import { stdSerializers, type LoggerOptions } from 'pino';

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
    serializers: { err: stdSerializers.errWithCause },
  };
}
