/**
 * The servers' own credentials (`spec.remote.headers`, `spec.runtime.headers`):
 * the gateway adds them to every request it forwards, reading each value through
 * an injected {@link SecretResolver} (the gateway itself reads no environment,
 * file or AWS API; src/cli gives it one). Values live in this process's memory
 * only: never logged, never in a response, never in the registry.
 *
 * Rules:
 * - a reference is resolved on the first request that needs it (the request
 *   waits), then served from memory; every `refreshMs` it is read again in the
 *   background while the value held keeps being sent, so a rotated secret is
 *   picked up without a restart;
 * - an upstream answering 401 has the server's references read again at once
 *   (at most every `minRefreshMs`), for the rotation that came sooner;
 * - a reference that cannot be resolved leaves its server unavailable: its
 *   requests are answered 503 with a reason naming the server, the header and
 *   the reference (never a value), and are never sent without the credential. It
 *   is tried again on a request after `retryMs`. A failure is logged once (again
 *   only when its reason changes), and so is the recovery;
 * - a refresh that fails keeps the value held (as a running ECS task keeps the
 *   secrets it started with) and is logged once.
 *
 * @example
 * const credentials = new UpstreamCredentials({ resolveSecret, logger });
 * const found = credentials.lookup(route);
 * if (found.kind === 'ready') headers.push(...found.headers);
 */
import type { Logger } from 'pino';
import { describeError } from '../kit/errors.ts';
import type { Route } from './route.ts';

/**
 * Reads the value a secret reference names (`valueFrom` as the manifest writes
 * it, e.g. `env:BERTH_SECRET_CRM_TOKEN` or an ARN). Rejects with an error saying
 * what is wrong and how to fix it, and never with the value in its message.
 */
export type SecretResolver = (reference: string) => Promise<string>;

/** Options of {@link UpstreamCredentials}. */
export interface UpstreamCredentialsOptions {
  /** Absent: every server with credentials is unavailable, saying no resolver is configured. */
  resolveSecret?: SecretResolver | undefined;
  logger: Logger;
  /** Epoch ms. Default Date.now. */
  now?: () => number;
  /** Read a held value again after this long (in the background). Default 5 min. */
  refreshMs?: number;
  /** Try a failed reference again after this long. Default 5 s. */
  retryMs?: number;
  /** After a 401, read again only when the value is at least this old. Default 10 s. */
  minRefreshMs?: number;
}

/** What {@link UpstreamCredentials.lookup} found for a route. */
export type CredentialLookup =
  /** Every value is held: a flat name/value list (names in lower case) to add upstream. */
  | { kind: 'ready'; headers: readonly string[] }
  /** A reference cannot be resolved: the 503's message. */
  | { kind: 'failed'; reason: string }
  /** Some values are being read; look again once `settled` resolves (it never rejects). */
  | { kind: 'pending'; settled: Promise<void> };

interface Entry {
  value: string | undefined;
  /** Why the last read failed, while no value is held. */
  error: string | undefined;
  /** When the value (or the error) was last read. */
  at: number;
  pending: Promise<void> | undefined;
  /** The failure last logged, so each is logged once. */
  logged: string | undefined;
}

/** Header values HTTP allows: visible characters, spaces and tabs inside, nothing else (no line breaks). */
const HEADER_VALUE = /^[\x21-\x7e\x80-\xff]([\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?$/;

/** The credentials of every server, by reference. One per gateway. */
export class UpstreamCredentials {
  readonly #resolve: SecretResolver | undefined;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #refreshMs: number;
  readonly #retryMs: number;
  readonly #minRefreshMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(opts: UpstreamCredentialsOptions) {
    this.#resolve = opts.resolveSecret;
    this.#log = opts.logger;
    this.#now = opts.now ?? Date.now;
    this.#refreshMs = opts.refreshMs ?? 5 * 60_000;
    this.#retryMs = Math.max(1, opts.retryMs ?? 5_000);
    this.#minRefreshMs = opts.minRefreshMs ?? 10_000;
  }

  /** The headers to add for `route` (whose `headerRules.upstreamHeaders` is not empty), or why there are none yet. Never throws. */
  lookup(route: Route): CredentialLookup {
    const refs = route.headerRules.upstreamHeaders;
    const names = route.headerRules.upstreamHeaderNames!;
    const now = this.#now();
    const headers: string[] = [];
    let pending: Array<Promise<void>> | undefined;
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!;
      const e = this.#entry(ref.valueFrom);
      if (e.value !== undefined) {
        if (now - e.at >= this.#refreshMs) void this.#read(ref.valueFrom, e, route.name);
        headers.push(names[i]!, e.value);
      } else if (e.pending !== undefined) {
        (pending ??= []).push(e.pending);
      } else if (e.error !== undefined && now - e.at < this.#retryMs) {
        return { kind: 'failed', reason: `server "${route.name}" is unavailable: its header ${ref.name} could not be resolved from ${ref.valueFrom}: ${e.error}; the gateway never sends a request without the server's credentials` };
      } else {
        (pending ??= []).push(this.#read(ref.valueFrom, e, route.name));
      }
    }
    if (pending !== undefined) return { kind: 'pending', settled: Promise.all(pending).then(() => undefined) };
    return { kind: 'ready', headers };
  }

  /** `route`'s upstream answered 401: read its references again (those held at least `minRefreshMs`), in the background. */
  rejected(route: Route): void {
    const now = this.#now();
    for (const ref of route.headerRules.upstreamHeaders) {
      const e = this.#entries.get(ref.valueFrom);
      if (e?.value !== undefined && e.pending === undefined && now - e.at >= this.#minRefreshMs) {
        this.#log.info({ server: route.name, reference: ref.valueFrom }, 'the server answered 401: reading its credential again');
        void this.#read(ref.valueFrom, e, route.name);
      }
    }
  }

  #entry(reference: string): Entry {
    let e = this.#entries.get(reference);
    if (e === undefined) {
      e = { value: undefined, error: undefined, at: 0, pending: undefined, logged: undefined };
      this.#entries.set(reference, e);
    }
    return e;
  }

  /** Reads `reference` into `e`; the promise never rejects. */
  #read(reference: string, e: Entry, server: string): Promise<void> {
    if (e.pending !== undefined) return e.pending;
    const read = async (): Promise<void> => {
      try {
        if (this.#resolve === undefined) throw new Error('this gateway has no secret resolver configured');
        const value = await this.#resolve(reference);
        if (value === '') throw new Error('the secret is empty');
        if (!HEADER_VALUE.test(value)) throw new Error('the secret is not a valid HTTP header value (it holds a line break or another control character); store the bare value');
        if (e.logged !== undefined) this.#log.info({ server, reference }, 'server credential resolved again');
        e.value = value;
        e.error = undefined;
        e.logged = undefined;
      } catch (err) {
        const reason = describeError(err);
        if (e.value === undefined) e.error = reason;
        if (e.logged !== reason) {
          e.logged = reason;
          const msg = e.value === undefined
            ? 'a server credential cannot be resolved; the server is unavailable (503) until it can'
            : 'a server credential could not be read again; the value read earlier is still sent';
          this.#log.warn({ server, reference, reason }, msg);
        }
      } finally {
        e.at = this.#now();
      }
    };
    // Cleared in a callback, which always runs after this assignment, even when `read` settles at once.
    const pending = read().finally(() => {
      e.pending = undefined;
    });
    e.pending = pending;
    return pending;
  }
}
