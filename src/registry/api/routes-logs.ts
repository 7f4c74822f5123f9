/**
 * `GET …/mcpservers/<name>/logs?tail=100`: a server's recent output, from the
 * registry's {@link ServerLogSource} (`berth up`: the local runtime's files;
 * `berth registry --logs-provider ecs`: CloudWatch Logs).
 * Owner team's publishers, approvers and admins ({@link mayReadServerLogs}).
 * 404 with the reason when the server does not exist, when this registry has
 * no log source (a standalone registry), or when the source holds nothing for it;
 * 502 / 504 with the source's reason when it cannot read now (refused, failed, too slow).
 */
import { NotFoundError, RegistryError } from '../../client/errors.ts';
import type { ServerLogEntry, ServerLogs } from '../../client/wire.ts';
import { enforce, mayReadServerLogs } from '../auth/authorize.ts';
import { ServerLogsReadError, ServerLogsUnavailableError } from '../server-log-source.ts';
import { intQuery, PREFIX, type ApiApp, type ApiDeps } from './context.ts';
import { requireName } from './names.ts';

/** Most lines one answer carries. */
export const MAX_LOG_TAIL = 1000;
const DEFAULT_LOG_TAIL = 100;

function noLogs(detail: string): RegistryError {
  return new RegistryError(404, { type: 'no-server-logs', title: 'No logs for this server', detail });
}

/** The newest `tail` lines, oldest first; ordered by time when every line has one. */
function newest(lines: ServerLogEntry[], tail: number): ServerLogEntry[] {
  const timed = lines.every((l) => l.time !== undefined);
  const ordered = timed ? [...lines].sort((a, b) => Date.parse(a.time!) - Date.parse(b.time!)) : lines;
  return ordered.slice(-tail);
}

/** Registers the logs route; call before the generic resource routes. */
export function logRoutes(app: ApiApp, { store, logSource }: ApiDeps): void {
  app.get(`${PREFIX}/mcpservers/:name/logs`, async (c) => {
    const name = requireName(c.req.param('name'));
    const tail = intQuery(c, 'tail', 1, MAX_LOG_TAIL) ?? DEFAULT_LOG_TAIL;
    const server = await store.get('MCPServer', name);
    if (!server) throw new NotFoundError(`MCPServer/${name} does not exist: check the name, or list what exists with \`berth get servers\``);
    enforce(mayReadServerLogs(c.get('principal'), server));
    if (!logSource) {
      throw noLogs(`this registry reads no server logs: it runs without a runtime on this machine (a standalone registry). Read MCPServer/${name}'s output where it runs: \`berth logs ${name}\` next to its \`berth up\`, or for ECS \`berth logs ${name} --provider ecs --environment ENV\`; start this registry with \`--logs-provider ecs\` to show them here`);
    }
    try {
      const body: ServerLogs = { server: name, source: logSource.description, lines: newest(await logSource.recent(name, { tail }), tail) };
      return c.json(body);
    } catch (err) {
      if (err instanceof ServerLogsUnavailableError) throw noLogs(`${logSource.description} hold no output of MCPServer/${name}: ${err.message}`);
      if (err instanceof ServerLogsReadError) {
        throw new RegistryError(err.status, { type: 'server-logs-unreadable', title: 'Cannot read this server\'s logs now', detail: `reading MCPServer/${name}'s output from ${logSource.description} failed: ${err.message}` });
      }
      throw err;
    }
  });
}
