/**
 * `POST|DELETE /apis/berth.dev/v1alpha1/leases/<name>`: leader-election leases
 * for reconcilers (controller and admin tokens).
 */
import { RegistryError } from '../../client/errors.ts';
import { enforce, mayControl } from '../auth/authorize.ts';
import { readObjectBody } from './body.ts';
import { badQuery, PREFIX, type ApiApp, type ApiDeps } from './context.ts';
import { requireName } from './names.ts';

/** Registers the lease routes. */
export function leaseRoutes(app: ApiApp, { store, clock }: ApiDeps): void {
  app.post(`${PREFIX}/leases/:name`, async (c) => {
    enforce(mayControl(c.get('principal')));
    const name = requireName(c.req.param('name'), 'lease name');
    const body = await readObjectBody(c.req.raw);
    const { holder, ttlMs } = body;
    if (typeof holder !== 'string' || holder === '' || typeof ttlMs !== 'number' || !(ttlMs > 0)) {
      throw new RegistryError(422, { type: 'invalid-lease-request', title: 'Invalid lease request', detail: 'send {"holder": "<non-empty id>", "ttlMs": <positive number>}' });
    }
    const acquired = await store.acquireLease(name, holder, ttlMs, clock().getTime());
    return c.json({ acquired });
  });
  app.delete(`${PREFIX}/leases/:name`, async (c) => {
    enforce(mayControl(c.get('principal')));
    const name = requireName(c.req.param('name'), 'lease name');
    const holder = c.req.query('holder');
    if (!holder) throw badQuery('holder is required');
    await store.releaseLease(name, holder);
    return c.json({ released: true });
  });
}
