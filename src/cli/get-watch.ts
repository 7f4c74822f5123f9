/**
 * The watch half of `berth get -w`: after the table, one row per change of the
 * objects the command selected, until Ctrl-C. Follows the registry's watch from
 * the version the table was listed at (the client layer's list-then-watch
 * contract); when the registry says that version is too old (410) it lists again
 * and prints every selected row once more, as `kubectl get -w` does.
 */
import type { Kind, Resource } from '../manifest/resource.ts';
import type { HttpRegistryClient } from '../client/http-client.ts';
import { GoneError } from '../client/errors.ts';
import { matchesLabels, parseLabelSelector } from '../registry/label-selector.ts';
import { ExitCode, type CommandIo } from './command.ts';
import { formatTable, reportClientError } from './config.ts';
import { policyRows, serverRows } from './commands/get.ts';
import { fitRow, fitWidths, type TableWidths } from './table-fit.ts';

/** What `-w` follows. */
export interface WatchRowsOptions {
  /** Only this object (`berth get server quote -w`). */
  name?: string;
  labelSelector?: string;
  ownerTeam?: string;
  wide: boolean;
  /** Resource version the table was listed at. */
  from: number;
  /** The layout the table was printed in on a terminal: rows keep its columns. */
  layout?: TableWidths;
  /** The terminal's width: rows printed without a table's layout are still fitted to it. */
  maxWidth?: number;
}

/**
 * Prints a table row (no header) for each change of a selected object of `kind`
 * after `opts.from`; a deleted one once more with PHASE `Deleted`. Resolves with
 * {@link ExitCode.Interrupted} when `io.signal` aborts, or a client error's code.
 */
export async function watchRows(client: HttpRegistryClient, kind: Kind, opts: WatchRowsOptions, io: CommandIo): Promise<number> {
  const requirements = parseLabelSelector(opts.labelSelector);
  const selected = (o: Resource): boolean =>
    (opts.name === undefined || o.metadata.name === opts.name) &&
    matchesLabels(requirements, o.metadata.labels) &&
    (opts.ownerTeam === undefined || (o.spec as { owner?: { team?: string } }).owner?.team === opts.ownerTeam);
  const print = (o: Resource, deleted: boolean): void => {
    const t = kind === 'MCPServer' ? serverRows([o], opts.wide, new Date()) : policyRows([o], opts.wide, new Date());
    const row = kind === 'MCPServer' && deleted ? t.rows.map((r) => r.map((c, i) => (t.header[i] === 'PHASE' ? 'Deleted' : c))) : t.rows;
    const layout = opts.layout ?? (opts.maxWidth !== undefined ? fitWidths(t.header, row, opts.maxWidth) : undefined);
    if (layout) {
      for (const r of row) io.stdout.write(`${fitRow(r, layout, opts.maxWidth)}\n`);
      return;
    }
    const text = formatTable(t.header, row);
    io.stdout.write(text.slice(text.indexOf('\n') + 1));
  };
  let from = opts.from;
  while (!io.signal.aborted) {
    try {
      for await (const item of client.watch(kind, from, io.signal)) {
        from = item.resourceVersion;
        if (item.type === 'BOOKMARK' || !selected(item.object)) continue;
        print(item.object, item.type === 'DELETED');
      }
    } catch (err) {
      if (io.signal.aborted) break;
      if (!(err instanceof GoneError)) return reportClientError(err, io, 'get');
      const listed = await client.listAll(kind, {});
      from = listed.resourceVersion;
      for (const o of listed.items) if (selected(o)) print(o, false);
    }
  }
  return ExitCode.Interrupted;
}
