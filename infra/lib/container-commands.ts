/**
 * What each Berth container runs: `berth registry|reconciler|gateway` with the flags the CLI
 * has, behind a few lines of POSIX `sh` that turn what ECS can inject (environment variables,
 * some filled from Secrets Manager through the task's `secrets`) into what those flags take:
 *
 * - the store URL, composed from the DocumentDB secret's fields (the password is generated
 *   without punctuation, so it needs no URL encoding);
 * - the DocumentDB CA bundle, fetched from AWS's trust store over HTTPS (`--store-ca` wants a file);
 * - API tokens `berth_<id>_<secret>`, composed from the two fields of a generated secret
 *   (CloudFormation can generate a random string, not one with a prefix);
 * - no `${NAME}` braces, which CloudFormation would take for its own substitutions;
 * - files the CLI reads (`--session-key-file`, the reconciler's `--config`) written under
 *   `/tmp/berth`, a task volume, mode 0600, so the root filesystem can stay read-only.
 *
 * Every secret variable is unset before `exec`, so `berth` holds each secret in one place only.
 * The image must provide `/bin/sh` and `node` on PATH (it runs `berth` with them anyway).
 */

/** The writable task volume every Berth container mounts (the root filesystem is read-only). */
export const SCRATCH_DIR = '/tmp/berth';

/** The CA bundle DocumentDB's certificates chain to. */
export const DOCDB_CA_URL = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';

/** Environment variable names the scripts read (filled by ECS `secrets` or `environment`). */
export const VARS = {
  dbUser: 'BERTH_DEPLOY_DB_USERNAME',
  dbPassword: 'BERTH_DEPLOY_DB_PASSWORD',
  dbHost: 'BERTH_DEPLOY_DB_HOST',
  dbPort: 'BERTH_DEPLOY_DB_PORT',
  adminTokenId: 'BERTH_DEPLOY_ADMIN_TOKEN_ID',
  adminTokenSecret: 'BERTH_DEPLOY_ADMIN_TOKEN_SECRET',
  gatewayTokenId: 'BERTH_DEPLOY_GATEWAY_TOKEN_ID',
  gatewayTokenSecret: 'BERTH_DEPLOY_GATEWAY_TOKEN_SECRET',
  sessionKey: 'BERTH_DEPLOY_SESSION_KEY',
  ecsConfig: 'BERTH_DEPLOY_ECS_CONFIG',
} as const;

const PRELUDE = `set -eu; umask 077; mkdir -p ${SCRATCH_DIR}`;

/** The servers' environment config (JSON, which is YAML), from its variable to the file `--config` reads. */
const ECS_CONFIG_FILE = `${SCRATCH_DIR}/environments.yaml`;
const WRITE_ECS_CONFIG = `printf '%s\\n' "$${VARS.ecsConfig}" > ${ECS_CONFIG_FILE}`;

/** Single-quotes `s` for sh. */
function q(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** `["/bin/sh", "-c", script]`: the container's entry point and command. */
export interface ShellCommand {
  entryPoint: string[];
  command: string[];
}

function sh(script: string): ShellCommand {
  return { entryPoint: ['/bin/sh', '-c'], command: [script] };
}

/**
 * The registry: store URL and CA bundle for DocumentDB, the bootstrap tokens the deploy
 * generated (`BERTH_BOOTSTRAP_ADMIN_TOKEN`, `BERTH_BOOTSTRAP_GATEWAY_TOKEN`: stored on the first
 * start of an empty store, ignored once tokens exist), then `berth registry` on `port`.
 * With `logsEnvironment`, the environment config (as the reconciler's) written to a file and
 * `--logs-provider ecs` for that environment: the dashboard shows the servers' CloudWatch output
 * (the task role then needs logs:FilterLogEvents on the servers' group).
 */
export function registryCommand(port: number, opts: { logsEnvironment?: string } = {}): ShellCommand {
  const v = VARS;
  const logs = opts.logsEnvironment;
  return sh(
    [
      PRELUDE,
      `node -e ${q(`fetch(${JSON.stringify(DOCDB_CA_URL)}).then(async r=>{if(!r.ok)throw new Error('HTTP '+r.status);require('fs').writeFileSync(${JSON.stringify(`${SCRATCH_DIR}/docdb-ca.pem`)},await r.text())}).catch(e=>{console.error('cannot fetch the DocumentDB CA bundle from ${DOCDB_CA_URL}: '+e.message+'; the task needs HTTPS egress (NAT)');process.exit(3)})`)}`,
      `export BERTH_STORE="mongodb://$${v.dbUser}:$${v.dbPassword}@$${v.dbHost}:$${v.dbPort}/berth?tls=true&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false"`,
      `export BERTH_BOOTSTRAP_ADMIN_TOKEN=$(printf \'berth_%s_%s\' "$${v.adminTokenId}" "$${v.adminTokenSecret}")`,
      `export BERTH_BOOTSTRAP_GATEWAY_TOKEN=$(printf \'berth_%s_%s\' "$${v.gatewayTokenId}" "$${v.gatewayTokenSecret}")`,
      `unset ${v.dbUser} ${v.dbPassword} ${v.adminTokenId} ${v.adminTokenSecret} ${v.gatewayTokenId} ${v.gatewayTokenSecret}`,
      ...(logs !== undefined ? [WRITE_ECS_CONFIG] : []),
      `exec berth registry --host 0.0.0.0 --port ${port} --state-dir ${SCRATCH_DIR}/state --store-ca ${SCRATCH_DIR}/docdb-ca.pem${logs !== undefined ? ` --logs-provider ecs --environment ${q(logs)} --config ${ECS_CONFIG_FILE}` : ''}`,
    ].join('\n'),
  );
}

/**
 * The reconciler: the admin token, the environment config (JSON, which is YAML) written to a
 * file, then `berth reconciler --provider ecs` for `environment`.
 */
export function reconcilerCommand(environment: string): ShellCommand {
  const v = VARS;
  return sh(
    [
      PRELUDE,
      `export BERTH_TOKEN=$(printf \'berth_%s_%s\' "$${v.adminTokenId}" "$${v.adminTokenSecret}")`,
      `unset ${v.adminTokenId} ${v.adminTokenSecret}`,
      WRITE_ECS_CONFIG,
      `exec berth reconciler --provider ecs --environment ${q(environment)} --config ${ECS_CONFIG_FILE}`,
    ].join('\n'),
  );
}

/**
 * The gateway: its gateway-role token, the session key written to the file
 * `--session-key-file` reads (every replica gets the same key, so any serves any session),
 * then `berth gateway` answering for `publicUrl`, trusting the load balancer in `trustedCidr`.
 */
export function gatewayCommand(opts: { port: number; publicUrl: string; trustedCidr: string }): ShellCommand {
  const v = VARS;
  return sh(
    [
      PRELUDE,
      `export BERTH_TOKEN=$(printf \'berth_%s_%s\' "$${v.gatewayTokenId}" "$${v.gatewayTokenSecret}")`,
      `printf '%s\\n' "$${v.sessionKey}" > ${SCRATCH_DIR}/session-keys`,
      `unset ${v.gatewayTokenId} ${v.gatewayTokenSecret} ${v.sessionKey}`,
      `exec berth gateway --host 0.0.0.0 --port ${opts.port} --public-url ${q(opts.publicUrl)} --trusted-proxy ${q(opts.trustedCidr)} --session-key-file ${SCRATCH_DIR}/session-keys`,
    ].join('\n'),
  );
}
