/**
 * The agents (`#/agents`): every agent the registry knows (from AccessPolicies
 * and agent keys, `GET …/agents`) with its groups, the policies that name it and
 * the servers it may use; a search box; for the chosen agent, every server and
 * tool as the gateway would decide them (`GET …/agents/<agent>`), with the
 * reason for each refusal and for each server it may not use.
 */
import { useMemo, useState } from 'preact/hooks';
import type { AgentAccess, AgentServerAccess, AgentSummary } from '../../client/wire.ts';
import { API } from '../api.ts';
import { serverHref } from '../router.ts';
import { usePolled } from '../use-polled.ts';
import type { ViewProps } from './props.ts';
import { DECISION_TEXT, DECISION_TONE } from './server-access.tsx';
import './server.css';
import { TableFrame } from '../components/table-frame.tsx';

/** How often the lists are read again (policies and keys change rarely). */
const AGENTS_REFRESH_MS = 30_000;

/** Lower-case text the search box matches for one agent. */
function haystackOf(a: AgentSummary): string {
  return [a.agent, ...a.groups, ...a.policies, ...a.servers.map((s) => s.server)].join(' ').toLowerCase();
}

function UsableServer(props: { agent: string; s: AgentServerAccess }) {
  const { s } = props;
  return (
    <li class="agent-server" data-server={s.server}>
      <h3>
        <a href={serverHref(s.server)}>{s.server}</a>
        {s.team !== undefined && <span class="sub">team {s.team}</span>}
      </h3>
      {!s.traffic.routable && <p class="notice">Takes no traffic now: {s.traffic.reason}</p>}
      {s.cells.length === 0 ? (
        <p class="help">It declares no tools.</p>
      ) : (
        <ul class="tool-decisions">
          {s.cells.map((c) => (
            <li key={c.tool} data-tool={c.tool} data-decision={c.decision} title={c.reason}>
              <code>{c.tool}</code> <span class={`phase ${DECISION_TONE[c.decision]}`}>{DECISION_TEXT[c.decision]}</span>
              {/* An allowed call needs no explanation; a refused or held one does, on screen too. */}
              {c.decision === 'allow' ? <span class="visually-hidden">: {c.reason}</span> : <span class="why tool-why">{c.reason}</span>}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

function AgentDetail(props: { agent: string }) {
  const detail = usePolled<AgentAccess>(`${API}/agents/${encodeURIComponent(props.agent)}`, AGENTS_REFRESH_MS);
  const d = detail.data;
  const usable = d?.servers.filter((s) => s.use.allowed) ?? [];
  const unusable = d?.servers.filter((s) => !s.use.allowed) ?? [];
  return (
    <section aria-labelledby="agent-detail-title" class="agent-detail" data-testid="agent-detail">
      <h2 id="agent-detail-title">{props.agent}: servers and tools</h2>
      {detail.error && <p class="error">{detail.error.message}</p>}
      {!d && !detail.error && <p role="status">Loading…</p>}
      {d && (
        <>
          <p class="help">
            As the gateway would decide now, from {d.policies.length ? `policies ${d.policies.join(', ')}` : 'no policy'}
            {d.groups.length ? ` and groups ${d.groups.join(', ')}` : ''}.
          </p>
          {usable.length === 0 ? (
            <p>It may use no server.</p>
          ) : (
            <ul class="agent-servers">
              {usable.map((s) => (
                <UsableServer key={s.server} agent={props.agent} s={s} />
              ))}
            </ul>
          )}
          {unusable.length > 0 && (
            <>
              <h3>Servers it may not use</h3>
              <ul class="unusable">
                {unusable.map((s) => (
                  <li key={s.server} data-server={s.server}>
                    <a href={serverHref(s.server)}>{s.server}</a>: {s.use.reason}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}

/** The agents view. */
export function AgentsView(_props: ViewProps) {
  const list = usePolled<{ items: AgentSummary[] }>(`${API}/agents`, AGENTS_REFRESH_MS);
  const [search, setSearch] = useState('');
  const [chosen, setChosen] = useState<string | undefined>();
  const agents = list.data?.items ?? [];
  const haystacks = useMemo(() => new Map(agents.map((a) => [a.agent, haystackOf(a)])), [list.data]);
  const needle = search.trim().toLowerCase();
  const shown = agents.filter((a) => needle === '' || haystacks.get(a.agent)!.includes(needle));
  const current = chosen ?? shown[0]?.agent;

  return (
    <section aria-labelledby="view-title" class="agents">
      <h1 id="view-title">Agents</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field grow">
          <label for="agents-search">Search</label>
          <input id="agents-search" type="search" placeholder="agent, group, policy, server…" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        </div>
      </form>
      {list.error && <p class="error">The agents could not be read: {list.error.message}</p>}
      <p class="summary" aria-live="polite" data-testid="agents-summary">
        {list.data ? `${shown.length} of ${agents.length} agents shown` : list.error ? '' : 'Loading agents…'}
      </p>
      {list.data && agents.length === 0 && <p>No agent is known yet: apply an AccessPolicy naming one, or create an agent key with <code>berth token create --role agent</code>.</p>}
      {shown.length > 0 && (
        <TableFrame label="Agents">
          <table class="agents-table">
            <caption class="visually-hidden">Agents, their groups and policies, and the servers they may use; choose one for its tools</caption>
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Groups</th>
                <th scope="col">Policies</th>
                <th scope="col">Servers it may use</th>
                <th scope="col">May not use</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((a) => (
                <tr key={a.agent} data-agent={a.agent}>
                  <th scope="row">
                    <button type="button" class="link" aria-pressed={a.agent === current} onClick={() => setChosen(a.agent)}>
                      {a.agent}
                    </button>
                    <span class="sub">from {a.from.join(' and ').replace('agent-key', 'an agent key').replace('policy', 'a policy')}</span>
                  </th>
                  <td class="wrap">{a.groups.join(', ') || '-'}</td>
                  <td class="wrap">{a.policies.join(', ') || 'none'}</td>
                  <td class="wrap">
                    {a.servers.length === 0
                      ? 'none'
                      : a.servers.map((s, i) => (
                          <span key={s.server}>
                            {i > 0 && ', '}
                            <a href={serverHref(s.server)}>{s.server}</a> <span class="sub-inline">({s.counts.allow} allowed{s.counts['needs-approval'] ? `, ${s.counts['needs-approval']} with approval` : ''})</span>
                          </span>
                        ))}
                  </td>
                  <td class="num">{a.unusableServers}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
      {current !== undefined && shown.some((a) => a.agent === current) && <AgentDetail key={current} agent={current} />}
    </section>
  );
}
