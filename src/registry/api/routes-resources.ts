/**
 * The resource routes: list (or watch with `?watch=1`), create, get, replace,
 * delete and server-side apply of MCPServers and AccessPolicies. Every write
 * goes through `writes.ts` (authorize, route claims, store, audit).
 */
import { readableBy } from '../auth/read-redaction.ts';
import { NotFoundError, RegistryError } from '../../client/errors.ts';
import type { ListOptions } from '../../client/wire.ts';
import { API_VERSION } from '../../manifest/resource.ts';
import { readObjectBody } from './body.ts';
import { badQuery, flag, intQuery, PREFIX, writerOf, type ApiApp, type ApiDeps } from './context.ts';
import { parseLabelSelector } from '../label-selector.ts';
import { kindFromPlural, requireName } from './names.ts';
import { admitObject } from './validation.ts';
import { watchResponse } from './watch.ts';
import { WatchSlots } from './watch-slots.ts';
import { applyObject, createObject, deleteObject, replaceObject } from './writes.ts';

/** Registers the list/watch and object routes. */
export function resourceRoutes(app: ApiApp, deps: ApiDeps): void {
  const { store, metrics, shutdownSignal, heartbeatMs } = deps;
  const watchSlots = new WatchSlots({ max: deps.maxWatchers, perToken: deps.maxWatchersPerToken });
  const writer = (c: Parameters<typeof writerOf>[1]) => writerOf(deps, c);
  app.get(`${PREFIX}/:plural`, async (c) => {
    const kind = kindFromPlural(c.req.param('plural'));
    const principal = c.get('principal');
    if (flag(c, 'watch')) {
      const rvRaw = c.req.query('resourceVersion');
      if (rvRaw !== undefined && !/^\d+$/.test(rvRaw)) throw badQuery(`resourceVersion must be a decimal number (got ${JSON.stringify(rvRaw)})`);
      const release = watchSlots.take(c.get('principal').tokenId);
      try {
        const since = rvRaw !== undefined ? Number(rvRaw) : await store.currentVersion();
        return await watchResponse({
          store,
          kind,
          since,
          clientSignal: c.req.raw.signal,
          shutdownSignal,
          heartbeatMs,
          view: (obj) => readableBy(principal, obj),
          onOpen: () => metrics.watchers.inc(),
          onClose: () => {
            release();
            metrics.watchers.dec();
          },
        });
      } catch (err) {
        release();
        throw err;
      }
    }
    const opts: ListOptions = {};
    const labelSelector = c.req.query('labelSelector');
    // Parsed here too, so a malformed or oversized selector is a 400 before the store is asked.
    parseLabelSelector(labelSelector);
    if (labelSelector) opts.labelSelector = labelSelector;
    const team = c.req.query('team');
    if (team) opts.ownerTeam = team;
    const lifecycle = c.req.query('lifecycle');
    if (lifecycle) opts.lifecycle = lifecycle;
    const limit = intQuery(c, 'limit', 1, 500);
    if (limit !== undefined) opts.limit = limit;
    const cont = c.req.query('continue');
    if (cont) opts.continue = cont;
    const page = await store.list(kind, opts);
    return c.json({
      apiVersion: API_VERSION,
      kind: `${kind}List`,
      metadata: { resourceVersion: String(page.resourceVersion), ...(page.continue ? { continue: page.continue } : {}) },
      items: page.items.map((obj) => readableBy(principal, obj)),
    });
  });
  app.post(`${PREFIX}/:plural`, async (c) => {
    const kind = kindFromPlural(c.req.param('plural'));
    const obj = admitObject(await readObjectBody(c.req.raw), kind, undefined, false, undefined, deps.remoteAddresses);
    return c.json(await createObject(writer(c), obj, { dryRun: flag(c, 'dryRun') }), 201);
  });
  app.get(`${PREFIX}/:plural/:name`, async (c) => {
    const kind = kindFromPlural(c.req.param('plural'));
    const name = requireName(c.req.param('name'));
    const obj = await store.get(kind, name);
    if (!obj) throw new NotFoundError(`${kind}/${name} does not exist`);
    return c.json(readableBy(c.get('principal'), obj));
  });
  app.put(`${PREFIX}/:plural/:name`, async (c) => {
    const kind = kindFromPlural(c.req.param('plural'));
    const name = requireName(c.req.param('name'));
    const obj = admitObject(await readObjectBody(c.req.raw), kind, name, true, await store.get(kind, name), deps.remoteAddresses);
    return c.json(await replaceObject(writer(c), obj, { dryRun: flag(c, 'dryRun') }));
  });
  app.delete(`${PREFIX}/:plural/:name`, async (c) => {
    const kind = kindFromPlural(c.req.param('plural'));
    const name = requireName(c.req.param('name'));
    const rv = c.req.query('resourceVersion');
    const reason = c.req.query('reason');
    const result = await deleteObject(writer(c), kind, name, {
      ...(rv ? { expectedResourceVersion: rv } : {}),
      ...(reason ? { reason } : {}),
    });
    return c.json(result.object, 200, { 'berth-deleted': String(result.removed) });
  });
  app.post(`${PREFIX}/:plural/:name/apply`, async (c) => {
    const kind = kindFromPlural(c.req.param('plural'));
    const name = requireName(c.req.param('name'));
    const obj = admitObject(await readObjectBody(c.req.raw), kind, name, false, undefined, deps.remoteAddresses);
    const { outcome, object } = await applyObject(writer(c), obj, { dryRun: flag(c, 'dryRun') });
    return c.json({ result: outcome, object }, outcome === 'created' ? 201 : 200);
  });
}
