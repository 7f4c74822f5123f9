/** Reading the AWS error code out of whatever an SDK call threw. */

/**
 * The AWS error code of an SDK exception: its `Code`, else its `name` (unless
 * that is the generic "Error"), else its `code`, else "UnknownError". Never throws.
 */
export function errorCode(err: unknown): string {
  const e = err as { name?: unknown; Code?: unknown; code?: unknown };
  if (typeof e?.Code === 'string') return e.Code;
  if (typeof e?.name === 'string' && e.name !== 'Error') return e.name;
  if (typeof e?.code === 'string') return e.code;
  return 'UnknownError';
}
