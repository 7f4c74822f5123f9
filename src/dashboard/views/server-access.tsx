/**
 * A server's tools (scopes and approval rules, from its manifest) and the policy
 * matrix from `…/mcpservers/<name>/access`: every known agent × every declared
 * tool, each cell allow / needs approval / deny with the gateway's reason in the
 * cell's accessible text, as a tooltip, and in a detail panel when chosen.
 */
import { useState } from 'preact/hooks';
import type { AccessCell, AccessDecision, AccessRow, ServerAccessMatrix } from '../../client/wire.ts';
import type { ToolSpec } from '../../manifest/types.ts';
import type { Polled } from '../use-polled.ts';
import { TableFrame } from '../components/table-frame.tsx';

/** How a decision reads in a cell. */
export const DECISION_TEXT: Record<AccessDecision, string> = { allow: 'Allow', 'needs-approval': 'Needs approval', deny: 'Deny' };
/** The badge class of a decision. */
export const DECISION_TONE: Record<AccessDecision, string> = { allow: 'ok', 'needs-approval': 'busy', deny: 'bad' };

/** The tools section. */
export function ToolsTable(props: { tools: ToolSpec[]; discovered: string[] }) {
  const declared = new Set(props.tools.map((t) => t.name));
  const undeclared = props.discovered.filter((t) => !declared.has(t));
  return (
    <section aria-labelledby="tools-title">
      <h2 id="tools-title">Tools</h2>
      {props.tools.length === 0 ? (
        <p class="help">The manifest declares no tools.</p>
      ) : (
        <TableFrame label="Tools">
          <table class="tools">
            <caption class="visually-hidden">Declared tools, the scopes a caller needs, and their approval rule</caption>
            <thead>
              <tr>
                <th scope="col">Tool</th>
                <th scope="col">Scopes needed</th>
                <th scope="col">Approval</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {props.tools.map((t) => (
                <tr key={t.name} data-tool={t.name}>
                  <th scope="row">
                    <code>{t.name}</code>
                  </th>
                  <td>{t.scopes.length ? t.scopes.map((s) => <code key={s} class="scope">{s}</code>) : 'none'}</td>
                  <td>{t.approval === 'required' ? <span class="phase busy">every call needs a human approval</span> : 'per policy'}</td>
                  <td class="wrap">{t.description ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
      {undeclared.length > 0 && <p class="help">Also discovered on the server but not declared (the gateway refuses them unless the manifest's access rules say otherwise): {undeclared.join(', ')}.</p>}
    </section>
  );
}

function Cell(props: { row: AccessRow; cell: AccessCell; chosen: boolean; onChoose: () => void }) {
  const { cell } = props;
  return (
    <td data-tool={cell.tool} data-decision={cell.decision}>
      <button type="button" class={`cell phase ${DECISION_TONE[cell.decision]}`} title={cell.reason} aria-pressed={props.chosen} onClick={props.onChoose}>
        {DECISION_TEXT[cell.decision]}
        <span class="visually-hidden">
          {' '}
          for {props.row.agent} calling {cell.tool}: {cell.reason}
        </span>
      </button>
    </td>
  );
}

/** The policy matrix section. */
export function AccessMatrix(props: { access: Polled<ServerAccessMatrix> }) {
  const [chosen, setChosen] = useState<{ agent: string; tool: string } | undefined>();
  const m = props.access.data;
  const row = m?.rows.find((r) => r.agent === chosen?.agent);
  const cell = row?.cells.find((c) => c.tool === chosen?.tool);
  return (
    <section aria-labelledby="matrix-title">
      <h2 id="matrix-title">Who may call what</h2>
      <p class="help">As the gateway would decide now: each agent's policies and the tool's scopes, then whether the server takes traffic. Choose a cell for its reason.</p>
      {props.access.error && <p class="error">The access matrix could not be read: {props.access.error.message}</p>}
      {!m && !props.access.error && <p role="status">Loading the access matrix…</p>}
      {m && !m.traffic.routable && (
        <p class="notice" data-testid="traffic-gate">
          This server takes no traffic now ({m.traffic.code}): {m.traffic.reason}
        </p>
      )}
      {m && m.rows.length === 0 && <p class="help">No agent is known yet: no AccessPolicy names one and no agent key exists.</p>}
      {m && m.rows.length > 0 && m.tools.length > 0 && (
        <TableFrame label="Who may call what">
          <table class="matrix">
            <caption class="visually-hidden">Agents (rows) by tools (columns): allow, needs approval or deny, with the reason</caption>
            <thead>
              <tr>
                <th scope="col">Agent</th>
                {m.tools.map((t) => (
                  <th scope="col" key={t.name}>
                    <code>{t.name}</code>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {m.rows.map((r) => (
                <tr key={r.agent} data-agent={r.agent}>
                  <th scope="row">
                    {r.agent}
                    <span class="sub">{r.policies.length ? `policies: ${r.policies.join(', ')}` : 'no policy'}</span>
                    {r.groups.length > 0 && <span class="sub">groups: {r.groups.join(', ')}</span>}
                  </th>
                  {r.cells.map((c) => (
                    <Cell key={c.tool} row={r} cell={c} chosen={chosen?.agent === r.agent && chosen.tool === c.tool} onChoose={() => setChosen({ agent: r.agent, tool: c.tool })} />
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
      <div aria-live="polite" data-testid="matrix-detail">
        {row && cell && (
          <div class="detail">
            <p>
              <strong>{row.agent}</strong> calling <code>{cell.tool}</code>: <span class={`phase ${DECISION_TONE[cell.decision]}`}>{DECISION_TEXT[cell.decision]}</span> <span class="sub">({cell.code})</span>
            </p>
            <p>{cell.reason}</p>
            <p class="help">Scopes the call needs: {cell.scopes.length ? cell.scopes.join(', ') : 'none'}.</p>
          </div>
        )}
      </div>
    </section>
  );
}
