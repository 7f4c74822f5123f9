/**
 * The page's one way to the registry: same-origin fetch with the session cookie,
 * `X-Berth-CSRF` on every write, and problem+json answers turned into
 * {@link ApiError} carrying the registry's own message.
 */

/** Where the registry's API lives, relative to the page's origin. */
export const API = '/apis/berth.dev/v1alpha1';

/** A refused or failed request, with the registry's explanation. */
export class ApiError extends Error {
  override name = 'ApiError';
  /** HTTP status (0: the registry could not be reached). */
  readonly status: number;
  /** The problem type's last segment (`forbidden`, `conflict`, …). */
  readonly type: string;
  constructor(status: number, type: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.type = type;
  }
}

/** Dispatched on `window` when the registry answers 401 to the signed-in page. */
export const SIGNED_OUT_EVENT = 'berth:signed-out';

let csrfToken: string | undefined;

/** Remembers the session's CSRF token (from `GET`/`POST /ui/session`) for later writes; undefined after sign-out. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** The ApiError a non-2xx answer stands for. */
export async function errorOf(res: Response): Promise<ApiError> {
  let detail = `${res.status} ${res.statusText}`;
  let type = 'unknown';
  try {
    const body = (await res.json()) as { detail?: string; title?: string; type?: string };
    detail = body.detail ?? body.title ?? detail;
    type = body.type?.replace(/^.*\//, '') ?? type;
  } catch {
    // Not problem+json (a proxy's page): keep the status line.
  }
  return new ApiError(res.status, type, detail);
}

/** Request options of {@link request}. */
export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * A request to `path` (absolute on this origin), returning the raw Response when it succeeded.
 * @throws ApiError with the registry's message for any non-2xx answer, status 0 when unreachable
 */
export async function request(path: string, opts: RequestOptions = {}): Promise<Response> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== undefined) headers['x-berth-csrf'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (cause) {
    if (opts.signal?.aborted) throw cause;
    throw new ApiError(0, 'unreachable', 'the registry did not answer; is it running?', { cause });
  }
  if (!res.ok) {
    // The session ended (expired, signed out elsewhere, its token revoked): the shell returns to sign-in.
    // (globalThis, not window: the watch tests run this module in Node, which has no window events.)
    if (res.status === 401 && !path.startsWith('/ui/session')) (globalThis as Partial<EventTarget>).dispatchEvent?.(new Event(SIGNED_OUT_EVENT));
    throw await errorOf(res);
  }
  return res;
}

/** {@link request}, parsing the JSON answer (undefined for 204). */
export async function requestJson<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await request(path, opts);
  return (res.status === 204 ? undefined : await res.json()) as T;
}
