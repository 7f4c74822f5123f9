/**
 * The fleet: every MCPServer with team, environment, requested and effective
 * stage, phase, ready replicas, endpoint and last change; filters and a search
 * box; live through one watch of the kind (changes batched per animation frame,
 * so a burst of events renders once). Rows are keyed by name and derived once
 * per object version (`fleet-rows.ts`), so 1,000 servers render quickly.
 */
import { Component } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import type { MCPServer } from '../../manifest/types.ts';
import { FilterSelect } from '../components/filter-select.tsx';
import { FleetActivity } from '../components/fleet-activity.tsx';
import { LiveBadge } from '../components/live-badge.tsx';
import { fleetRow, type FleetRow } from '../fleet-rows.ts';
import { serverHref } from '../router.ts';
import { useWatchedKind } from '../use-watched.ts';
import type { ViewProps } from './props.ts';

const PHASE_CLASS: Record<string, string> = { Ready: 'ok', Progressing: 'busy', Pending: 'busy', Degraded: 'bad', Deleting: 'busy', Retiring: 'busy' };

/** One row; re-renders only when its server changed (rows are cached per object version). */
class Row extends Component<{ row: FleetRow }> {
  override shouldComponentUpdate(next: { row: FleetRow }): boolean {
    return next.row !== this.props.row;
  }
  override render() {
    return <RowCells row={this.props.row} />;
  }
}

function RowCells(props: { row: FleetRow }) {
  const r = props.row;
  return (
    <tr data-server={r.name}>
      <th scope="row">
        <a href={serverHref(r.name)}>{r.name}</a>
      </th>
      <td>{r.team}</td>
      <td>{r.environment}</td>
      <td>{r.requested}</td>
      <td title={r.effectiveWhy}>{r.effective}</td>
      <td>
        <span class={`phase ${PHASE_CLASS[r.phase] ?? 'idle'}`} data-phase={r.phase}>
          {r.phase}
        </span>
      </td>
      <td class="num">{r.replicas}</td>
      <td class="endpoint">{r.endpoint}</td>
      <td>{r.lastChange !== '' ? <time dateTime={r.lastChange} title={r.lastChange}>{r.lastChange.slice(0, 16).replace('T', ' ')}</time> : '-'}</td>
    </tr>
  );
}

/** The fleet view. */
export function FleetView(_props: ViewProps) {
  const { objects: servers, version, live, loaded } = useWatchedKind<MCPServer>('mcpservers');
  const [team, setTeam] = useState('');
  const [environment, setEnvironment] = useState('');
  const [phase, setPhase] = useState('');
  const [search, setSearch] = useState('');

  const rows = useMemo(() => {
    const now = new Date();
    return [...servers.values()].map((s) => fleetRow(s, now)).sort((a, b) => (a.name < b.name ? -1 : 1));
  }, [servers, version]);
  const distinct = (pick: (r: FleetRow) => string) => [...new Set(rows.map(pick))].sort();
  const teams = useMemo(() => distinct((r) => r.team), [rows]);
  const environments = useMemo(() => distinct((r) => r.environment), [rows]);
  const phases = useMemo(() => distinct((r) => r.phase), [rows]);
  const needle = search.trim().toLowerCase();
  const shown = rows.filter((r) => (team === '' || r.team === team) && (environment === '' || r.environment === environment) && (phase === '' || r.phase === phase) && (needle === '' || r.haystack.includes(needle)));
  const readyCount = rows.filter((r) => r.phase === 'Ready').length;

  return (
    <section aria-labelledby="view-title">
      <div class="view-head">
        <h1 id="view-title">Fleet</h1>
        <LiveBadge state={live} />
      </div>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field grow">
          <label for="fleet-search">Search</label>
          <input id="fleet-search" type="search" placeholder="name, team, endpoint…" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        </div>
        <FilterSelect id="fleet-team" label="Team" value={team} options={teams} onChange={setTeam} />
        <FilterSelect id="fleet-env" label="Environment" value={environment} options={environments} onChange={setEnvironment} />
        <FilterSelect id="fleet-phase" label="Phase" value={phase} options={phases} onChange={setPhase} />
      </form>
      <p class="summary" aria-live="polite" data-testid="fleet-summary">
        {loaded ? `${shown.length} of ${rows.length} servers shown · ${readyCount} Ready` : 'Loading servers…'}
      </p>
      <div class="table-wrap">
        <table class="fleet">
          <caption class="visually-hidden">MCP servers</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Team</th>
              <th scope="col">Environment</th>
              <th scope="col">Requested</th>
              <th scope="col">Effective</th>
              <th scope="col">Phase</th>
              <th scope="col">Ready</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Last change</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <Row key={r.name} row={r} />
            ))}
          </tbody>
        </table>
      </div>
      {loaded && rows.length === 0 && <p>No servers yet: apply one with <code>berth apply -f server.yaml</code>.</p>}
      <FleetActivity {..._props} />
    </section>
  );
}
