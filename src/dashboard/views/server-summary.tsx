/**
 * The server page's facts: what its manifest asks for (owner, environment,
 * lifecycle requested and effective, risk, data, image or remote URL, transport,
 * port, routing, replicas) and what the runtime reports it made
 * (`status.runtime`: on ECS the task definition, service, target group, rule,
 * record, rollout and target health; locally the process, port and endpoint).
 */
import type { ComponentChildren } from 'preact';
import { effectiveStageOf } from '../../manifest/approval.ts';
import { serverRoute } from '../../manifest/route.ts';
import type { MCPServer } from '../../manifest/types.ts';
import { fleetRow } from '../fleet-rows.ts';
import { runtimeFacts } from '../runtime-facts.ts';

function Fact(props: { term: string; children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{props.term}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

/** The spec summary of `server`. */
export function SpecSummary(props: { server: MCPServer }) {
  const { spec } = props.server;
  let effective: { stage: string; why?: string } = { stage: '-' };
  try {
    const e = effectiveStageOf(props.server, new Date());
    effective = { stage: e.effective, ...(e.missing ? { why: e.missing.reason } : {}) };
  } catch {
    // A spec the rule cannot read (an older shape): the request alone is shown.
  }
  const route = serverRoute(props.server);
  const runtime = spec.runtime;
  return (
    <section aria-labelledby="spec-title">
      <h2 id="spec-title">Spec</h2>
      {spec.description !== undefined && <p>{spec.description}</p>}
      <dl class="facts">
        <Fact term="Owner team">{spec.owner.team}</Fact>
        <Fact term="Contact">{spec.owner.contact ?? '-'}</Fact>
        <Fact term="Environment">{spec.environment}</Fact>
        <Fact term="Requested stage">{spec.lifecycle}</Fact>
        <Fact term="Effective stage">
          <span data-testid="effective-stage">{effective.stage}</span>
          {effective.why !== undefined && <span class="why"> ({effective.why})</span>}
        </Fact>
        <Fact term="Risk">{spec.risk}</Fact>
        <Fact term="Data classification">
          {spec.dataClassification}
          {spec.dataCategories?.length ? ` (${spec.dataCategories.join(', ')})` : ''}
        </Fact>
        {spec.version !== undefined && <Fact term="Version">{spec.version}</Fact>}
        {runtime ? <Fact term="Image"><code class="wrap">{runtime.image}</code></Fact> : <Fact term="Remote URL"><code class="wrap">{spec.remote?.url ?? '-'}</code></Fact>}
        <Fact term="Transport">{runtime?.transport ?? spec.remote?.transport ?? '-'}</Fact>
        {runtime && <Fact term="Port">{runtime.transport === 'stdio' ? 'stdio (no port)' : String(runtime.port ?? 8080)}</Fact>}
        <Fact term="Routing">
          <code class="wrap">{route.host !== undefined ? `${route.host}${route.path}` : route.path}</code>
        </Fact>
        <Fact term="Replicas (ready/desired)">{fleetRow(props.server, new Date()).replicas}</Fact>
        {spec.deprecation && <Fact term="Deprecated">{`from ${spec.deprecation.date}${spec.deprecation.replacement ? `; use ${spec.deprecation.replacement}` : ''}`}</Fact>}
      </dl>
    </section>
  );
}

/** The runtime resources section. */
export function RuntimeResources(props: { server: MCPServer }) {
  const { status } = props.server;
  const facts = runtimeFacts(status?.runtime ?? {});
  return (
    <section aria-labelledby="runtime-title">
      <h2 id="runtime-title">Runtime</h2>
      <dl class="facts">
        <Fact term="Endpoint">{status?.endpoint ? <code class="wrap">{status.endpoint}</code> : '-'}</Fact>
        {status?.health && <Fact term="Health">{`${status.health.status}${status.health.message ? `: ${status.health.message}` : ''}`}</Fact>}
        {facts.map((f) => (
          <Fact key={f.key} term={f.label}>
            <span class="wrap" data-runtime={f.key}>{f.value}</span>
          </Fact>
        ))}
      </dl>
      {facts.length === 0 && <p class="help">The reconciler has reported no runtime resources for this server yet{props.server.spec.remote ? ': it is hosted elsewhere, Berth runs nothing for it' : ''}.</p>}
    </section>
  );
}
