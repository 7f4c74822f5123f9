/**
 * RFC 9457 problem responses: the one shape every registry API error takes on
 * the wire (`application/problem+json`). Handlers throw members of the one error
 * family (src/client/errors.ts); the one error handler in `app.ts` turns them
 * into a response here.
 */
import { PROBLEM_CONTENT_TYPE, type RegistryError } from '../../client/errors.ts';

/** A `Response` carrying `problem` for the request path `instance`. */
export function problemResponse(problem: RegistryError, instance?: string): Response {
  return new Response(JSON.stringify(problem.toProblem(instance)), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...problem.headers },
  });
}
