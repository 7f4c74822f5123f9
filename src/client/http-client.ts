/**
 * HttpRegistryClient: the {@link RegistryClient} over the registry's HTTP API.
 * Separate processes (reconciler, gateway) and the CLI use it with a socket;
 * `InProcessRegistryClient` uses it with the API handler of the same process.
 *
 * Errors: no answer at all → {@link RegistryUnreachableError}; any problem
 * response → the member of the one error family its problem type names
 * (NotFoundError, ConflictError, UnauthorizedError, …; see errors.ts).
 *
 * @example
 * const client = new HttpRegistryClient({ baseUrl: 'http://127.0.0.1:7070', token });
 * const { items, resourceVersion } = await client.list('MCPServer');
 * for await (const item of client.watch('MCPServer', resourceVersion, signal)) handle(item);
 */
import { KIND_PLURALS, type Kind } from '../manifest/resource.ts';
import type { AnyResource, MCPServer } from '../manifest/types.ts';
import type { EffectiveStage } from '../manifest/approval.ts';
import { BodyTooLargeError, readBodyText } from './bounded-read.ts';
import { errorFromProblem, GoneError, NotFoundError, RegistryAnswerError, RegistryUnreachableError, type ProblemDetails } from './errors.ts';
import { ndjsonLines } from './ndjson.ts';
import type { RegistryClient, TokenRequest } from './registry-client.ts';
import type { ApplyResponse, AuditEntry, AuditQuery, DeleteResult, ListOptions, ListResult, ResourceOf, StageDecisionRequest, TokenInfo, TokenReview, TokenReviewRequest, WatchItem, WhoAmI } from './wire.ts';
import type { Approval, ApprovalCall, ApprovalQuery, ApprovalRequest, CallRecord, CallRecordQuery } from './wire.ts';

/** Options of {@link HttpRegistryClient}. */
export interface HttpRegistryClientOptions {
  /** e.g. "http://127.0.0.1:7070" */
  baseUrl: string;
  /** `berth_<id>_<secret>`; sent as a bearer token, never logged. */
  token?: string;
  /** How requests are sent; the global fetch by default. */
  fetch?: typeof fetch;
  /**
   * Longest wait for a whole answer (a watch: for its response headers, then
   * each event is bounded by size, and the server's bookmarks keep it moving).
   * Default {@link DEFAULT_REQUEST_TIMEOUT_MS}.
   */
  requestTimeoutMs?: number;
  /** Largest response body accepted. Default {@link DEFAULT_MAX_RESPONSE_BYTES}. */
  maxResponseBytes?: number;
  /** Largest single watch event accepted. Default {@link DEFAULT_MAX_WATCH_EVENT_BYTES}. */
  maxWatchEventBytes?: number;
}

/** Default request timeout: 30 s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Default response size limit: 64 MiB (a 500-object page of ordinary manifests is well under 5 MiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Default size limit of one watch event: 8 MiB (an object is at most 1 MiB on the way in). */
export const DEFAULT_MAX_WATCH_EVENT_BYTES = 8 * 1024 * 1024;

/** A per-request deadline: a signal that aborts after `ms`, and whether it did. */
interface Deadline {
  signal: AbortSignal;
  expired(): boolean;
  clear(): void;
}

function deadlineOf(ms: number, outer?: AbortSignal): Deadline {
  const ctl = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    ctl.abort(new Error(`no answer within ${ms} ms`));
  }, ms);
  timer.unref();
  return {
    signal: outer ? AbortSignal.any([outer, ctl.signal]) : ctl.signal,
    expired: () => expired,
    clear: () => clearTimeout(timer),
  };
}

/** Path prefix of the registry API. */
export const API_PREFIX = '/apis/berth.dev/v1alpha1';

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
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #maxEventBytes: number;

  constructor(opts: HttpRegistryClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#token = opts.token;
    this.#fetch = opts.fetch ?? fetch;
    this.#timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.#maxEventBytes = opts.maxWatchEventBytes ?? DEFAULT_MAX_WATCH_EVENT_BYTES;
  }

  /** The error to throw for `err` raised under `deadline`: a timeout or an oversized body named as such. */
  #answerError(err: unknown, deadline: Deadline | undefined, path: string): unknown {
    const what = `${this.baseUrl}${path.split('?')[0]}`;
    if (deadline?.expired()) {
      return new RegistryAnswerError(this.baseUrl, 'timeout', `no answer from the registry at ${what} within ${this.#timeoutMs / 1000} s; is it overloaded or is something else listening there? (--request-timeout sets the limit)`, { cause: err });
    }
    if (err instanceof BodyTooLargeError) {
      return new RegistryAnswerError(this.baseUrl, 'too-large', `the answer from ${what} is larger than ${err.limit} bytes, more than a registry sends; stopped reading (is something else listening there?)`, { cause: err });
    }
    return err;
  }

  async #send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    // A pooled keep-alive connection the server has just closed fails with ECONNRESET;
    // reads are safe to send once more on a fresh connection.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(signal ? { signal } : {}) });
      } catch (err) {
        if (signal?.aborted) throw err;
        const code = errnoOf(err);
        if (method === 'GET' && attempt === 1 && (code === 'ECONNRESET' || code === 'EPIPE')) continue;
        throw new RegistryUnreachableError(this.baseUrl, code, { cause: err });
      }
    }
  }

  /** Throws the error of the family a non-2xx response stands for. */
  async #fail(res: Response): Promise<never> {
    let problem: Partial<ProblemDetails>;
    try {
      // Problems are small; a huge "problem" is not one.
      problem = JSON.parse(await readBodyText(res, 1024 * 1024)) as Partial<ProblemDetails>;
    } catch {
      problem = { detail: `HTTP ${res.status} ${res.statusText} from ${res.url || this.baseUrl}` };
    }
    throw errorFromProblem(res.status, problem);
  }

  /** One bounded exchange: the answer within the timeout and the size limit, or a RegistryAnswerError. */
  async #exchange<T>(method: string, path: string, body: unknown, read: (res: Response, text: string) => T): Promise<T> {
    const deadline = deadlineOf(this.#timeoutMs);
    try {
      const res = await this.#send(method, path, body, deadline.signal);
      if (!res.ok) return await this.#fail(res);
      return read(res, await readBodyText(res, this.#maxBytes));
    } catch (err) {
      throw this.#answerError(err, deadline, path);
    } finally {
      deadline.clear();
    }
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.#exchange(method, path, body, (_res, text) => JSON.parse(text) as T);
  }

  #objectPath(kind: Kind, name: string, sub = ''): string {
    return `${API_PREFIX}/${KIND_PLURALS[kind]}/${encodeURIComponent(name)}${sub}`;
  }

  async get<K extends Kind>(kind: K, name: string): Promise<ResourceOf<K> | undefined> {
    try {
      return await this.#json<ResourceOf<K>>('GET', this.#objectPath(kind, name));
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async list<K extends Kind>(kind: K, opts: ListOptions = {}): Promise<ListResult<ResourceOf<K>>> {
    const q = new URLSearchParams();
    if (opts.labelSelector !== undefined) q.set('labelSelector', opts.labelSelector);
    if (opts.ownerTeam !== undefined) q.set('team', opts.ownerTeam);
    if (opts.lifecycle !== undefined) q.set('lifecycle', opts.lifecycle);
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    if (opts.continue !== undefined) q.set('continue', opts.continue);
    const qs = q.size > 0 ? `?${q}` : '';
    const page = await this.#json<{ metadata: { resourceVersion: string; continue?: string }; items: ResourceOf<K>[] }>('GET', `${API_PREFIX}/${KIND_PLURALS[kind]}${qs}`);
    return {
      items: page.items,
      resourceVersion: Number(page.metadata.resourceVersion),
      ...(page.metadata.continue ? { continue: page.metadata.continue } : {}),
    };
  }

  async listAll<K extends Kind>(kind: K, opts: Omit<ListOptions, 'continue'> = {}): Promise<ListResult<ResourceOf<K>>> {
    const items: ResourceOf<K>[] = [];
    let cont: string | undefined;
    let resourceVersion: number | undefined;
    do {
      const page = await this.list(kind, { ...opts, limit: opts.limit ?? 500, ...(cont !== undefined ? { continue: cont } : {}) });
      items.push(...page.items);
      // Watching from the first page's version replays at worst; replays are skipped by version.
      resourceVersion ??= page.resourceVersion;
      cont = page.continue;
    } while (cont !== undefined);
    return { items, resourceVersion: resourceVersion ?? 0 };
  }

  async *watch<K extends Kind>(kind: K, fromVersion: number, signal: AbortSignal): AsyncIterable<WatchItem<ResourceOf<K>>> {
    if (signal.aborted) return;
    const local = new AbortController();
    const stop = AbortSignal.any([signal, local.signal]);
    const path = `${API_PREFIX}/${KIND_PLURALS[kind]}?watch=1&resourceVersion=${fromVersion}`;
    try {
      // The timeout covers the response headers; the stream itself is long-lived, bounded per event.
      const deadline = deadlineOf(this.#timeoutMs);
      let res: Response;
      try {
        res = await this.#send('GET', path, undefined, AbortSignal.any([stop, deadline.signal]));
        if (!res.ok) return await this.#fail(res);
      } catch (err) {
        throw this.#answerError(err, deadline, path);
      } finally {
        deadline.clear();
      }
      if (!res.body) return;
      let since = fromVersion;
      // An event over the limit ends the stream with a RegistryAnswerError (see the outer catch).
      for await (const line of ndjsonLines(res.body, this.#maxEventBytes)) {
        const item = JSON.parse(line) as { type: string; object: ResourceOf<K> & Partial<ProblemDetails> };
        const rv = Number(item.object?.metadata?.resourceVersion ?? NaN);
        if (item.type === 'ADDED' || item.type === 'MODIFIED' || item.type === 'DELETED') {
          if (!(rv > since)) continue; // a replay of what was already yielded
          since = rv;
          yield { type: item.type, object: item.object, resourceVersion: rv };
        } else if (item.type === 'BOOKMARK') {
          if (rv > since) {
            since = rv;
            yield { type: 'BOOKMARK', resourceVersion: rv };
          }
        } else if (item.type === 'RECONNECT') {
          if (rv > since) yield { type: 'BOOKMARK', resourceVersion: rv };
          return;
        } else if (item.type === 'ERROR') {
          throw errorFromProblem(Number(item.object.status ?? 500), item.object);
        }
      }
    } catch (err) {
      if (signal.aborted && !(err instanceof GoneError)) return;
      throw err instanceof BodyTooLargeError ? this.#answerError(err, undefined, path) : err;
    } finally {
      local.abort();
    }
  }

  async create<T extends AnyResource>(obj: T): Promise<T> {
    return this.#json<T>('POST', `${API_PREFIX}/${KIND_PLURALS[obj.kind]}`, obj);
  }

  async apply<T extends AnyResource>(obj: T, opts: { dryRun?: boolean } = {}): Promise<ApplyResponse<T>> {
    const qs = opts.dryRun ? '?dryRun=1' : '';
    return this.#json<ApplyResponse<T>>('POST', `${this.#objectPath(obj.kind, obj.metadata.name, '/apply')}${qs}`, obj);
  }

  async update<T extends AnyResource>(obj: T, expectedResourceVersion?: string): Promise<T> {
    const body = { ...obj, metadata: { ...obj.metadata } };
    if (expectedResourceVersion !== undefined) body.metadata.resourceVersion = expectedResourceVersion;
    else delete body.metadata.resourceVersion;
    return this.#json<T>('PUT', this.#objectPath(obj.kind, obj.metadata.name), body);
  }

  async updateStatus<K extends Kind>(kind: K, name: string, status: unknown, expectedResourceVersion?: string): Promise<ResourceOf<K>> {
    const body = { status, ...(expectedResourceVersion !== undefined ? { metadata: { resourceVersion: expectedResourceVersion } } : {}) };
    return this.#json<ResourceOf<K>>('PUT', this.#objectPath(kind, name, '/status'), body);
  }

  async delete<K extends Kind>(kind: K, name: string, opts: { reason?: 'prune'; expectedResourceVersion?: string } = {}): Promise<DeleteResult<ResourceOf<K>>> {
    const q = new URLSearchParams();
    if (opts.reason) q.set('reason', opts.reason);
    if (opts.expectedResourceVersion) q.set('resourceVersion', opts.expectedResourceVersion);
    return this.#exchange('DELETE', `${this.#objectPath(kind, name)}${q.size > 0 ? `?${q}` : ''}`, undefined, (res, text) => ({
      removed: res.headers.get('berth-deleted') === 'true',
      object: JSON.parse(text) as ResourceOf<K>,
    }));
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.#json('POST', `${API_PREFIX}/audit`, entry);
  }

  async queryAudit(q: AuditQuery = {}): Promise<AuditEntry[]> {
    return this.#items<AuditEntry>('audit', q);
  }

  /** The `items` of `GET …/<collection>` with `q` as query parameters. */
  async #items<T>(collection: string, q: object): Promise<T[]> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
    const qs = params.size > 0 ? `?${params}` : '';
    return (await this.#json<{ items: T[] }>('GET', `${API_PREFIX}/${collection}${qs}`)).items;
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.#json<{ acquired: boolean }>('POST', `${API_PREFIX}/leases/${encodeURIComponent(name)}`, { holder, ttlMs })).acquired;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.#json('DELETE', `${API_PREFIX}/leases/${encodeURIComponent(name)}?holder=${encodeURIComponent(holder)}`);
  }

  async createToken(req: TokenRequest): Promise<{ token: string; record: TokenInfo }> {
    return this.#json('POST', `${API_PREFIX}/tokens`, req);
  }

  async listTokens(): Promise<TokenInfo[]> {
    return (await this.#json<{ items: TokenInfo[] }>('GET', `${API_PREFIX}/tokens`)).items;
  }

  async revokeToken(id: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.#json('DELETE', `${API_PREFIX}/tokens/${encodeURIComponent(id)}${opts.force ? '?force=true' : ''}`);
  }

  async reviewToken(req: TokenReviewRequest): Promise<TokenReview> {
    return this.#json('POST', `${API_PREFIX}/tokenreviews`, { tokenId: req.tokenId, hash: req.hash });
  }

  async decideStage(name: string, req: StageDecisionRequest): Promise<{ object: MCPServer; effective: EffectiveStage }> {
    return this.#json('POST', `${this.#objectPath('MCPServer', name, '/approvals')}`, req);
  }

  async whoami(): Promise<WhoAmI> {
    return this.#json('GET', `${API_PREFIX}/whoami`);
  }

  async requestApproval(req: ApprovalRequest): Promise<Approval> {
    return this.#json<Approval>('POST', `${API_PREFIX}/approvals`, req);
  }

  async listApprovals(q: ApprovalQuery = {}): Promise<Approval[]> {
    return this.#items<Approval>('approvals', q);
  }

  async getApproval(id: string): Promise<Approval | undefined> {
    try {
      return await this.#json<Approval>('GET', `${API_PREFIX}/approvals/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async decideApproval(id: string, verdict: 'approve' | 'deny', reason?: string): Promise<Approval> {
    return this.#json<Approval>('POST', `${API_PREFIX}/approvals/${encodeURIComponent(id)}/${verdict}`, reason !== undefined ? { reason } : {});
  }

  async consumeApproval(id: string, call: ApprovalCall): Promise<Approval> {
    const { agent, server, tool, argumentsHash } = call;
    return this.#json<Approval>('POST', `${API_PREFIX}/approvals/${encodeURIComponent(id)}/consume`, { agent, server, tool, argumentsHash });
  }

  async appendCallRecords(records: CallRecord[]): Promise<void> {
    await this.#json('POST', `${API_PREFIX}/callrecords`, { records });
  }

  async queryCallRecords(q: CallRecordQuery = {}): Promise<CallRecord[]> {
    return this.#items<CallRecord>('callrecords', q);
  }
}
