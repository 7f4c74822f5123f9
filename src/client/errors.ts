/**
 * The registry's one error family and its one status table. The store throws
 * these, the HTTP API answers with them (RFC 9457 problem details), and both
 * registry clients throw them again on the caller's side, so the same bad input
 * gives the same error type and status whichever way a caller reaches the
 * registry.
 *
 * Two kinds of errors, as in the MCP SDK: {@link RegistryError}s travel (they
 * have a status and a problem `type`), and {@link RegistryUnreachableError} is
 * local (no answer came back at all).
 *
 * @example
 * try { await client.update(obj, rv); }
 * catch (err) { if (err instanceof ConflictError) { … get it again and retry … } }
 */

/** Media type of problem responses. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Base of the problem `type` URIs; the slug after it names the problem. */
export const PROBLEM_TYPE_BASE = 'https://berth.dev/problems/';

/** One field-level error in a problem's `errors` array (same text as `berth validate`). */
export interface FieldError {
  /** Dotted path of the field, "" for the whole object. */
  path: string;
  message: string;
  /** Stable machine code (schema keyword or check name). */
  code?: string;
}

/** The JSON body of a problem response (RFC 9457). */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** What a {@link RegistryError} says besides its status. */
export interface RegistryErrorInit {
  /** Slug appended to {@link PROBLEM_TYPE_BASE}, e.g. "invalid-object". */
  type: string;
  title: string;
  detail: string;
  errors?: FieldError[];
  /** Extra members of the problem body (e.g. `currentResourceVersion`). */
  extensions?: Record<string, unknown>;
  /** Response headers the API adds (e.g. `WWW-Authenticate`, `Retry-After`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** Options of the named errors: everything but status, type and title, which the class fixes. */
export type NamedErrorOptions = Omit<RegistryErrorInit, 'type' | 'title' | 'detail'>;

/**
 * An error the registry answers with: an HTTP status, a problem type and a
 * detail that says what is wrong and how to fix it.
 * @example throw new RegistryError(413, { type: 'body-too-large', title: 'Request body too large', detail: 'bodies are limited to 1 MiB' })
 */
export class RegistryError extends Error {
  override name = 'RegistryError';
  readonly status: number;
  /** The problem type's slug, e.g. "not-found". */
  readonly type: string;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, init: RegistryErrorInit) {
    super(init.detail, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = status;
    this.type = init.type;
    this.title = init.title;
    this.errors = init.errors;
    this.extensions = init.extensions ?? {};
    this.headers = init.headers ?? {};
  }

  /** The problem body for the request path `instance`. */
  toProblem(instance?: string): ProblemDetails {
    return {
      type: PROBLEM_TYPE_BASE + this.type,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance !== undefined ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
      ...this.extensions,
    };
  }
}

/**
 * Declares a named member of the family: fixed status, type and title, and a
 * hint added to the detail once (the store's message says what, the hint says
 * what to do).
 */
function named(status: number, type: string, title: string, hint?: string) {
  return class extends RegistryError {
    constructor(detail: string, opts: NamedErrorOptions = {}) {
      super(status, { ...opts, type, title, detail: hint === undefined || detail.includes(hint) ? detail : `${detail} — ${hint}` });
    }
  };
}

/** A malformed request: bad label selector, continue token, query or path. HTTP 400. */
export class InvalidRequestError extends named(400, 'invalid-request', 'Invalid request') {
  override name = 'InvalidRequestError';
}
/** A refused credential or action. Parent of {@link UnauthorizedError} and {@link ForbiddenError}. */
export abstract class AuthError extends RegistryError {}
/** No token, or one the registry does not accept (unknown, expired, revoked). HTTP 401. */
export class UnauthorizedError extends AuthError {
  override name = 'UnauthorizedError';
  constructor(detail: string, opts: NamedErrorOptions = {}) {
    super(401, { headers: { 'www-authenticate': 'Bearer realm="berth"' }, ...opts, type: 'unauthorized', title: 'Unauthorized', detail });
  }
}
/** A valid token whose role or team may not do this. HTTP 403. */
export class ForbiddenError extends AuthError {
  override name = 'ForbiddenError';
  constructor(detail: string, opts: NamedErrorOptions = {}) {
    super(403, { ...opts, type: 'forbidden', title: 'Forbidden', detail });
  }
}
/** The object does not exist. HTTP 404. */
export class NotFoundError extends named(404, 'not-found', 'Not found') {
  override name = 'NotFoundError';
}
/** The object changed since the caller read it (stale resourceVersion). HTTP 409. */
export class ConflictError extends named(409, 'conflict', 'Conflict', 'the object changed since you read it; get it again and retry') {
  override name = 'ConflictError';
}
/** An object of this kind and name already exists. HTTP 409. */
export class AlreadyExistsError extends named(409, 'already-exists', 'Already exists', 'use PUT to replace it or `berth apply`') {
  override name = 'AlreadyExistsError';
}
/** The resource version is older than the history kept: list again, then watch. HTTP 410. */
export class GoneError extends named(410, 'gone', 'Resource version too old', "list again and watch from the list's resourceVersion") {
  override name = 'GoneError';
}

/**
 * Why an approval could not be decided or consumed: not yet approved (`pending`),
 * `denied`, already `decided`, already used (`consumed`), `expired`, or a call
 * that is not the one approved (`mismatch`).
 */
export type ApprovalRefusal = 'pending' | 'denied' | 'decided' | 'consumed' | 'expired' | 'mismatch';

/** The refusal an approval error carries in its problem body (`reason`). */
function refusalOf(err: RegistryError): ApprovalRefusal {
  return err.extensions.reason as ApprovalRefusal;
}

/** The approval's state does not allow this (not approved yet, denied, decided, another call). HTTP 409; `reason` says which. */
export class ApprovalConflictError extends named(409, 'approval-conflict', 'Approval not usable') {
  override name = 'ApprovalConflictError';
  get reason(): ApprovalRefusal {
    return refusalOf(this);
  }
}
/** The grant existed and can never be used again (already used, or expired). HTTP 410; `reason` says which. */
export class ApprovalGoneError extends named(410, 'approval-gone', 'Approval no longer usable') {
  override name = 'ApprovalGoneError';
  get reason(): ApprovalRefusal {
    return refusalOf(this);
  }
}

/** Every named member of the family by problem type: the one status table, read in both directions. */
const BY_TYPE: Readonly<Record<string, new (detail: string, opts?: NamedErrorOptions) => RegistryError>> = {
  'invalid-request': InvalidRequestError,
  unauthorized: UnauthorizedError,
  forbidden: ForbiddenError,
  'not-found': NotFoundError,
  conflict: ConflictError,
  'already-exists': AlreadyExistsError,
  gone: GoneError,
  'approval-conflict': ApprovalConflictError,
  'approval-gone': ApprovalGoneError,
};

/**
 * The error a problem response stands for: the named class for a known type
 * (with the same status), else a plain {@link RegistryError} with the body's
 * type, title, detail and field errors.
 * @example errorFromProblem(404, { type: 'https://berth.dev/problems/not-found', detail: 'MCPServer/x does not exist' }) // NotFoundError
 */
export function errorFromProblem(status: number, body: Partial<ProblemDetails>): RegistryError {
  const type = typeof body.type === 'string' && body.type.startsWith(PROBLEM_TYPE_BASE) ? body.type.slice(PROBLEM_TYPE_BASE.length) : 'unknown';
  const detail = typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : `HTTP ${status}`;
  const { type: _t, title, status: _s, detail: _d, instance: _i, errors, ...extensions } = body;
  const opts: NamedErrorOptions = { extensions, ...(Array.isArray(errors) ? { errors } : {}) };
  const Named = BY_TYPE[type];
  if (Named !== undefined) {
    const err = new Named(detail, opts);
    if (err.status === status) return err;
  }
  return new RegistryError(status, { ...opts, type, title: typeof title === 'string' ? title : `HTTP ${status}`, detail });
}

/**
 * Anything thrown, as the registry would answer it: a {@link RegistryError}
 * as it is, anything else a 500 whose detail hides internals (the cause is kept
 * for the log).
 */
export function asRegistryError(err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  return new RegistryError(500, { type: 'internal', title: 'Internal error', detail: 'the registry failed to handle the request; see its log', cause: err });
}

/** The registry could not be reached at all (refused, DNS, timeout): no answer, so no status. */
export class RegistryUnreachableError extends Error {
  override name = 'RegistryUnreachableError';
  readonly url: string;
  constructor(url: string, code: string, options?: ErrorOptions) {
    super(`cannot reach the registry at ${url} (${code}) — is \`berth registry\` running? set --server or BERTH_SERVER`, options);
    this.url = url;
  }
}

/**
 * The registry (or whatever answers at its address) gave no usable answer: none
 * within the request timeout, or one larger than the client accepts. A kind of
 * unreachable (callers retry or exit 3 alike); the message names the limit and
 * the flag that sets it.
 */
export class RegistryAnswerError extends RegistryUnreachableError {
  readonly reason: 'timeout' | 'too-large';
  constructor(url: string, reason: 'timeout' | 'too-large', message: string, options?: ErrorOptions) {
    super(url, reason, options);
    this.name = 'RegistryAnswerError';
    this.reason = reason;
    this.message = message;
  }
}
