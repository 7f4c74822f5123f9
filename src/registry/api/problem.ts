/**
 * RFC 9457 problem details: the one shape every registry API error takes on the
 * wire (`application/problem+json`). Handlers throw {@link HttpProblem}; the one
 * error handler in `app.ts` turns it (and the Store's typed errors) into a response.
 */
import { AlreadyExistsError, ConflictError, GoneError, InvalidRequestError, NotFoundError } from '../store.ts';

/** Media type of problem responses. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Base of the `type` URIs; each problem type is documented under it. */
export const PROBLEM_TYPE_BASE = 'https://berth.dev/problems/';

/** One field-level error in a problem's `errors` array (same text as `berth validate`). */
export interface FieldError {
  /** Dotted path of the field, "" for the whole object. */
  path: string;
  message: string;
  /** Stable machine code (schema keyword or check name). */
  code?: string;
}

/** The JSON body of a problem response. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Options of {@link HttpProblem}. */
export interface HttpProblemInit {
  /** Short slug appended to {@link PROBLEM_TYPE_BASE}, e.g. "invalid-object". */
  type: string;
  title: string;
  detail: string;
  errors?: FieldError[];
  /** Extra members (e.g. `currentResourceVersion`). */
  extensions?: Record<string, unknown>;
  /** Response headers to add (e.g. `WWW-Authenticate`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * An error that knows its HTTP response.
 * @example throw new HttpProblem(413, { type: 'body-too-large', title: 'Request body too large', detail: 'bodies are limited to 1 MiB' })
 */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly status: number;
  readonly init: HttpProblemInit;
  constructor(status: number, init: HttpProblemInit) {
    super(init.detail, { cause: init.cause });
    this.status = status;
    this.init = init;
  }

  /** The problem's JSON body for the request path `instance`. */
  toDetails(instance?: string): ProblemDetails {
    const body: ProblemDetails = {
      type: PROBLEM_TYPE_BASE + this.init.type,
      title: this.init.title,
      status: this.status,
      detail: this.init.detail,
      ...(instance !== undefined ? { instance } : {}),
      ...(this.init.errors ? { errors: this.init.errors } : {}),
      ...this.init.extensions,
    };
    return body;
  }
}

/**
 * Maps any thrown value to an {@link HttpProblem}: HttpProblem itself, the Store's
 * typed errors (404 / 409 / 410), everything else a 500 whose detail hides internals.
 */
export function toHttpProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (err instanceof NotFoundError) {
    return new HttpProblem(404, { type: 'not-found', title: 'Not found', detail: err.message, cause: err });
  }
  if (err instanceof ConflictError) {
    return new HttpProblem(409, {
      type: 'conflict',
      title: 'Conflict',
      detail: `${err.message} — the object changed since you read it; get it again and retry`,
      cause: err,
    });
  }
  if (err instanceof AlreadyExistsError) {
    return new HttpProblem(409, {
      type: 'already-exists',
      title: 'Already exists',
      detail: `${err.message} — use PUT to replace it or \`berth apply\``,
      cause: err,
    });
  }
  if (err instanceof GoneError) {
    return new HttpProblem(410, {
      type: 'gone',
      title: 'Resource version too old',
      detail: `${err.message} — list again and watch from the list's resourceVersion`,
      cause: err,
    });
  }
  if (err instanceof InvalidRequestError) {
    return new HttpProblem(400, { type: 'invalid-request', title: 'Invalid request', detail: err.message, cause: err });
  }
  return new HttpProblem(500, {
    type: 'internal',
    title: 'Internal error',
    detail: 'the registry failed to handle the request; see its log',
    cause: err,
  });
}

/** A `Response` carrying `problem` for the request path `instance`. */
export function problemResponse(problem: HttpProblem, instance?: string): Response {
  return new Response(JSON.stringify(problem.toDetails(instance)), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...problem.init.headers },
  });
}
