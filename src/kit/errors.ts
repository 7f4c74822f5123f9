/**
 * What every part of Berth needs to know about an error, written once: the chain
 * of causes behind it, one readable line for logs and status, and whether
 * retrying can help. All three walk the `cause` chain, so wrapping an error with
 * context (`new Error('registering task definition for weather', { cause })`)
 * never hides what lies beneath it.
 */

/** How deep a `cause` chain is followed; deeper chains are cut (and cycles stop at once). */
const MAX_CHAIN = 8;

/**
 * The error and its causes, outermost first. Follows `cause`, and for an
 * `AggregateError` (Node's "connect failed on every address") its first error.
 * @example errorChain(new Error('a', { cause: new Error('b') })).map((e) => (e as Error).message) // ['a', 'b']
 */
export function errorChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let cur: unknown = err;
  while (cur !== undefined && cur !== null && chain.length < MAX_CHAIN && !chain.includes(cur)) {
    chain.push(cur);
    if (cur instanceof AggregateError && cur.errors.length > 0 && cur.cause === undefined) cur = cur.errors[0];
    else cur = cur instanceof Error ? cur.cause : undefined;
  }
  return chain;
}

/**
 * One line for an error and its causes, for logs, status messages and CLI
 * output: the messages joined by ": ", each said once, a numeric HTTP status
 * code as "HTTP n:" and a string code (ECONNREFUSED, …) added when no message
 * names it (fetch hides the errno in its cause). Never contains more than the
 * errors' own messages, so it is as free of secrets as they are.
 * @example describeError(new Error('reading servers', { cause: new Error('socket hang up') })) // 'reading servers: socket hang up'
 */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  const codes: string[] = [];
  for (const e of errorChain(err)) {
    let text = e instanceof Error ? e.message : typeof e === 'object' ? JSON.stringify(e) : String(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && code >= 100 && code < 600) text = `HTTP ${code}: ${text}`;
    else if (typeof code === 'string' && code !== '') codes.push(code);
    if (text !== '' && !parts.some((p) => p.includes(text))) parts.push(text);
  }
  for (const code of codes) if (!parts.some((p) => p.includes(code))) parts.push(code);
  return parts.join(': ') || 'unknown error';
}

/**
 * An error that says whether retrying can help. `retryable: false` means the
 * same attempt fails the same way until its input (the manifest) changes.
 */
export interface Retryability {
  readonly retryable: boolean;
}

/**
 * True when retrying cannot help: the outermost error in the chain that says
 * whether it is retryable (a `retryable` boolean) says false. An error that
 * wraps a terminal one with context stays terminal; an explicit `retryable:
 * true` further out wins over a terminal cause.
 * @example isTerminal(new Error('applying weather', { cause: new TerminalError('bad image') })) // true
 */
export function isTerminal(err: unknown): boolean {
  for (const e of errorChain(err)) {
    const retryable = (e as Partial<Retryability>).retryable;
    if (typeof retryable === 'boolean') return !retryable;
  }
  return false;
}

/**
 * An error retrying can't fix until the spec changes (an invalid spec, a refused
 * image). The reconciler records it and does not retry it.
 * @example throw new TerminalError('runtime.local.command "nod" was not found; fix spec.runtime.local.command');
 */
export class TerminalError extends Error implements Retryability {
  override readonly name = 'TerminalError';
  readonly code: string;
  readonly retryable = false;
  constructor(message: string, opts: { code?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.code = opts.code ?? 'terminal';
  }
}
