/**
 * HttpRegistryClient: the {@link RegistryClient} over the registry's HTTP API, for
 * separate processes (reconciler, gateway) and the CLI, plus the calls only the
 * CLI makes (apply, create, delete, tokens).
 *
 * Errors: a registry that can't be reached → {@link RegistryUnreachableError}; a
 * refused token → {@link RegistryAuthError}; 404 / 409 / 410 → the Store's typed
 * errors (NotFoundError, ConflictError / AlreadyExistsError, GoneError), so callers
 * handle both clients alike; any other problem → {@link RegistryProblemError}
 * carrying the RFC 9457 body.
 *
 * @example
 * const client = new HttpRegistryClient({ baseUrl: 'http://127.0.0.1:7070', token });
 * const { items, resourceVersion } = await client.list('MCPServer');
 * for await (const ev of client.watch('MCPServer', resourceVersion, signal)) handle(ev);
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { KIND_PLURALS, type Kind, type Resource } from '../manifest/resource.ts';
import type { RegistryClient } from './client.ts';
import {
  AlreadyExistsError,
  ConflictError,
  GoneError,
  NotFoundError,
  type AuditEntry,
  type AuditQuery,
  type ListOptions,
  type ListResult,
  type TokenRecord,
  type WatchEvent,
} from './store.ts';

/** The body of an RFC 9457 problem response, as the registry sends it. */
export interface WireProblem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  errors?: { path: string; message: string; code?: string }[];
  [key: string]: unknown;
}

/** The registry could not be reached at all (refused, DNS, timeout). */
export class RegistryUnreachableError extends Error {
  override readonly name = 'RegistryUnreachableError';
  readonly url: string;
  constructor(url: string, code: string, options?: ErrorOptions) {
    super(`cannot reach the registry at ${url} (${code}) — is \`berth registry\` running? set --server or BERTH_SERVER`, options);
    this.url = url;
  }
}

/** A problem response from the registry: its HTTP status and RFC 9457 body. */
export abstract class RegistryResponseError extends Error {
  readonly status: number;
  readonly problem: WireProblem;
  constructor(status: number, problem: WireProblem, message: string) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

/** The registry refused the credentials (401) or the action (403). */
export class RegistryAuthError extends RegistryResponseError {
  override readonly name = 'RegistryAuthError';
  constructor(status: number, problem: WireProblem) {
    super(
      status,
      problem,
      status === 401
        ? `the registry refused the token (401 ${problem.detail ?? problem.title ?? 'unauthorized'}) — set --token or BERTH_TOKEN`
        : `the registry refused the request (403 ${problem.detail ?? 'forbidden'})`,
    );
  }
}

/** Any other problem response; `problem.errors` holds field-level validation errors. */
export class RegistryProblemError extends RegistryResponseError {
  override readonly name = 'RegistryProblemError';
  constructor(status: number, problem: WireProblem) {
    super(status, problem, `${problem.title ?? `HTTP ${status}`}: ${problem.detail ?? ''}`.trim());
  }
}

/** Options of {@link HttpRegistryClient}. */
export interface HttpRegistryClientOptions {
  /** e.g. "http://127.0.0.1:7070" */
  baseUrl: string;
  /** `berth_<id>_<secret>`; sent as a bearer token, never logged. */
  token?: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Delay used between watch reconnects; tests pass their own. */
  delay?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Watch reconnect backoff: first delay and cap in ms. Default 100 / 5000. */
  backoff?: { initialMs: number; maxMs: number };
}

/** What one apply did. */
export interface ApplyResponse {
  result: 'created' | 'configured' | 'unchanged';
  object: Resource;
}

/** A token record as listed (never with its hash). */
export type TokenInfo = Omit<TokenRecord, 'hash'>;

const PREFIX = '/apis/berth.dev/v1alpha1';

/** The errno code (ECONNREFUSED, ENOTFOUND, …) behind a fetch failure, else the innermost message. */
function errnoOf(err: unknown): string {
  let cur: unknown = err;
  let message = err instanceof Error ? err.message : 'network error';
  for (let i = 0; i < 6 && cur; i++) {
    const c = cur as { code?: unknown; errors?: unknown[]; cause?: unknown; message?: unknown };
    if (typeof c.code === 'string' && c.code !== 'UND_ERR_SOCKET') return c.code;
    if (typeof c.message === 'string' && c.message) message = c.message;
    cur = Array.isArray(c.errors) && c.errors.length > 0 ? c.errors[0] : c.cause;
  }
  return message;
}

/** The HTTP implementation of {@link RegistryClient}. */
export class HttpRegistryClient implements RegistryClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #delay: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #backoff: { initialMs: number; maxMs: number };

  constructor(opts: HttpRegistryClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#token = opts.token;
    this.#fetch = opts.fetch ?? fetch;
    this.#delay = opts.delay ?? ((ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined));
    this.#backoff = opts.backoff ?? { initialMs: 100, maxMs: 5_000 };
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return { accept: 'application/json', ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}), ...extra };
  }

  async #send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    // A pooled keep-alive connection the server has just closed fails with ECONNRESET;
    // reads are safe to send once more on a fresh connection.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#fetch(url, {
          method,
          headers: this.#headers(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          ...(signal ? { signal } : {}),
        });
      } catch (err) {
        if (signal?.aborted) throw err;
        const code = errnoOf(err);
        if (method === 'GET' && attempt === 1 && (code === 'ECONNRESET' || code === 'EPIPE')) continue;
        throw new RegistryUnreachableError(this.baseUrl, code, { cause: err });
      }
    }
  }

  /** Throws the typed error a non-2xx response stands for. */
  async #fail(res: Response): Promise<never> {
    let problem: WireProblem;
    try {
      problem = (await res.json()) as WireProblem;
    } catch {
      problem = { status: res.status, title: res.statusText, detail: `HTTP ${res.status} from ${res.url}` };
    }
    const detail = problem.detail ?? problem.title ?? `HTTP ${res.status}`;
    if (res.status === 401 || res.status === 403) throw new RegistryAuthError(res.status, problem);
    if (res.status === 404 && problem.type?.endsWith('/not-found')) throw new NotFoundError(detail);
    if (res.status === 409 && problem.type?.endsWith('/conflict')) throw new ConflictError(detail);
    if (res.status === 409 && problem.type?.endsWith('/already-exists')) throw new AlreadyExistsError(detail);
    if (res.status === 410) throw new GoneError(detail);
    throw new RegistryProblemError(res.status, problem);
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#send(method, path, body);
    if (!res.ok) return this.#fail(res);
    return (await res.json()) as T;
  }

  #objectPath(kind: Kind, name: string, sub = ''): string {
    return `${PREFIX}/${KIND_PLURALS[kind]}/${encodeURIComponent(name)}${sub}`;
  }

  /** The object, or undefined when it does not exist. */
  async get(kind: Kind, name: string): Promise<Resource | undefined> {
    try {
      return await this.#json<Resource>('GET', this.#objectPath(kind, name));
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** One page of objects. */
  async list(kind: Kind, opts: ListOptions = {}): Promise<ListResult> {
    const q = new URLSearchParams();
    if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
    if (opts.ownerTeam) q.set('team', opts.ownerTeam);
    if (opts.lifecycle) q.set('lifecycle', opts.lifecycle);
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    if (opts.continue) q.set('continue', opts.continue);
    const qs = q.size > 0 ? `?${q}` : '';
    const page = await this.#json<{ metadata: { resourceVersion: string; continue?: string }; items: Resource[] }>('GET', `${PREFIX}/${KIND_PLURALS[kind]}${qs}`);
    return {
      items: page.items,
      resourceVersion: Number(page.metadata.resourceVersion),
      ...(page.metadata.continue ? { continue: page.metadata.continue } : {}),
    };
  }

  /** Every object matching `opts`, following continue tokens. */
  async listAll(kind: Kind, opts: Omit<ListOptions, 'continue'> = {}): Promise<{ items: Resource[]; resourceVersion: number }> {
    const items: Resource[] = [];
    let cont: string | undefined;
    let resourceVersion = 0;
    do {
      const page = await this.list(kind, { ...opts, limit: opts.limit ?? 500, ...(cont ? { continue: cont } : {}) });
      items.push(...page.items);
      resourceVersion = page.resourceVersion;
      cont = page.continue;
    } while (cont);
    return { items, resourceVersion };
  }

  /**
   * Streams changes newer than `fromVersion`. Reconnects (capped exponential
   * backoff) from the last version seen when the stream drops or the server
   * restarts, so each change is yielded once, in order. Throws GoneError when the
   * version is too old (relist), RegistryAuthError when the token is refused.
   */
  async *watch(kind: Kind, fromVersion: number, signal: AbortSignal): AsyncIterable<WatchEvent> {
    let since = fromVersion;
    let failures = 0;
    while (!signal.aborted) {
      const local = new AbortController();
      const stop = AbortSignal.any([signal, local.signal]);
      try {
        const res = await this.#send('GET', `${PREFIX}/${KIND_PLURALS[kind]}?watch=1&resourceVersion=${since}`, undefined, stop);
        if (!res.ok) {
          if (res.status === 410 || res.status === 401 || res.status === 403 || res.status === 400 || res.status === 404) await this.#fail(res);
          await res.body?.cancel();
          throw new RegistryProblemError(res.status, { detail: `watch answered HTTP ${res.status}` });
        }
        if (!res.body) throw new Error('watch response has no body');
        for await (const line of ndjsonLines(res.body)) {
          const ev = JSON.parse(line) as { type: string; object: Resource & WireProblem };
          const rv = Number(ev.object?.metadata?.resourceVersion ?? NaN);
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') {
            failures = 0;
            if (!(rv > since)) continue; // already seen (never expected; guards against replays)
            since = rv;
            yield { type: ev.type, object: ev.object, resourceVersion: rv };
          } else if (ev.type === 'BOOKMARK') {
            failures = 0;
            if (rv > since) since = rv;
          } else if (ev.type === 'RECONNECT') {
            if (rv > since) since = rv;
            break;
          } else if (ev.type === 'ERROR') {
            if (ev.object.status === 410) throw new GoneError(String(ev.object.detail ?? 'resource version too old'));
            throw new RegistryProblemError(Number(ev.object.status ?? 500), ev.object);
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof GoneError || err instanceof RegistryAuthError) throw err;
        if (err instanceof RegistryProblemError && err.status < 500) throw err;
      } finally {
        local.abort();
      }
      if (signal.aborted) return;
      // Every ended connection counts; any received line reset the count, so a
      // healthy stream that ends reconnects after initialMs and a dead server backs off.
      failures += 1;
      const ms = Math.min(this.#backoff.maxMs, this.#backoff.initialMs * 2 ** (failures - 1));
      await this.#delay(ms * (1 + Math.random() * 0.2), signal);
    }
  }

  /** Replaces labels/annotations/finalizers and spec; 409 (ConflictError) when the version is stale. */
  async update(obj: Resource, expectedResourceVersion?: string): Promise<Resource> {
    const body: Resource = { ...obj, metadata: { ...obj.metadata } };
    if (expectedResourceVersion !== undefined) body.metadata.resourceVersion = expectedResourceVersion;
    else delete body.metadata.resourceVersion;
    return this.#json<Resource>('PUT', this.#objectPath(obj.kind, obj.metadata.name), body);
  }

  /** Status write (admin token); never bumps generation. */
  async updateStatus(kind: Kind, name: string, status: unknown, expectedResourceVersion?: string): Promise<Resource> {
    const body = { status, ...(expectedResourceVersion !== undefined ? { metadata: { resourceVersion: expectedResourceVersion } } : {}) };
    return this.#json<Resource>('PUT', this.#objectPath(kind, name, '/status'), body);
  }

  /** Appends an audit record (admin token). */
  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.#json('POST', `${PREFIX}/audit`, entry);
  }

  /** Audit entries, newest first. */
  async queryAudit(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
    const qs = params.size > 0 ? `?${params}` : '';
    return (await this.#json<{ items: AuditEntry[] }>('GET', `${PREFIX}/audit${qs}`)).items;
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.#json<{ acquired: boolean }>('POST', `${PREFIX}/leases/${encodeURIComponent(name)}`, { holder, ttlMs })).acquired;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.#json('DELETE', `${PREFIX}/leases/${encodeURIComponent(name)}?holder=${encodeURIComponent(holder)}`);
  }

  /** Server-side apply of one manifest: created / configured / unchanged. */
  async apply(obj: Resource, opts: { dryRun?: boolean } = {}): Promise<ApplyResponse> {
    const qs = opts.dryRun ? '?dryRun=1' : '';
    return this.#json<ApplyResponse>('POST', `${this.#objectPath(obj.kind, obj.metadata.name, '/apply')}${qs}`, obj);
  }

  /** Creates; AlreadyExistsError when it exists. */
  async create(obj: Resource): Promise<Resource> {
    return this.#json<Resource>('POST', `${PREFIX}/${KIND_PLURALS[obj.kind]}`, obj);
  }

  /** Deletes (or marks deleting while finalizers remain). NotFoundError when absent. */
  async delete(kind: Kind, name: string, opts: { reason?: 'prune'; expectedResourceVersion?: string } = {}): Promise<{ removed: boolean; object: Resource }> {
    const q = new URLSearchParams();
    if (opts.reason) q.set('reason', opts.reason);
    if (opts.expectedResourceVersion) q.set('resourceVersion', opts.expectedResourceVersion);
    const res = await this.#send('DELETE', `${this.#objectPath(kind, name)}${q.size > 0 ? `?${q}` : ''}`);
    if (!res.ok) return this.#fail(res);
    return { removed: res.headers.get('berth-deleted') === 'true', object: (await res.json()) as Resource };
  }

  /** Creates a token (admin); the returned `token` is shown once and never again. */
  async createToken(req: { role: TokenRecord['role']; team?: string; expires?: string; description?: string }): Promise<{ token: string; record: TokenInfo }> {
    return this.#json('POST', `${PREFIX}/tokens`, req);
  }

  /** Every token (admin), without hashes. */
  async listTokens(): Promise<TokenInfo[]> {
    return (await this.#json<{ items: TokenInfo[] }>('GET', `${PREFIX}/tokens`)).items;
  }

  /** Revokes a token (admin); NotFoundError when there is no such token. */
  async revokeToken(id: string): Promise<void> {
    await this.#json('DELETE', `${PREFIX}/tokens/${encodeURIComponent(id)}`);
  }
}

/** Splits a byte stream into lines (without the newline); cancels the stream when the consumer stops. */
async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) yield line;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
