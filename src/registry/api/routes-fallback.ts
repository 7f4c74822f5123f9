/**
 * The last resource route: anything deeper under `/apis/…` is a name with a '/'
 * in it or an unknown subresource, answered with a message that says which.
 */
import { RegistryError } from '../../client/errors.ts';
import { PREFIX, type ApiApp } from './context.ts';
import { isDnsLabel, kindFromPlural } from './names.ts';

/** Registers the catch-all under the prefix; call last. */
export function fallbackRoutes(app: ApiApp): void {
  // Anything deeper under a resource is a name with a '/' in it or an unknown subresource.
  app.all(`${PREFIX}/*`, (c) => {
    const rest = c.req.path.slice(PREFIX.length + 1).split('/');
    kindFromPlural(rest[0] ?? '');
    const shapeOk = rest.length <= 3 && rest.slice(1, 2).every(isDnsLabel) && (rest[2] === undefined || rest[2] === 'status' || rest[2] === 'apply');
    if (shapeOk) {
      throw new RegistryError(405, { type: 'method-not-allowed', title: 'Method not allowed', detail: `${c.req.method} is not supported on ${c.req.path}; see /openapi.json` });
    }
    throw new RegistryError(400, {
      type: 'invalid-path',
      title: 'Invalid path',
      detail: `${JSON.stringify(c.req.path)} is not a resource path: use ${PREFIX}/<plural>/<name>[/status|/apply] where <name> is a DNS label (no '/', '.', or non-ASCII)`,
    });
  });
}
