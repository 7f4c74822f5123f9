/**
 * Shape check of an untrusted server.json: only what the mapping relies on, so that it
 * can index and read without guarding every step. Full validation is the registry's job.
 */
import { ServerJsonError } from './error.ts';
import { isRecord } from './is-record.ts';
import type { ServerJson } from './types.ts';

const TRANSPORTS = ['stdio', 'streamable-http', 'sse'];
const NAME_PATTERN = /^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/;

/**
 * Checks `doc` has the shape the mapping relies on; throws {@link ServerJsonError} listing
 * every problem at once, so the user fixes the file in one pass.
 */
export function assertServerJson(doc: unknown): asserts doc is ServerJson {
  const problems: string[] = [];
  if (!isRecord(doc)) throw new ServerJsonError(['(document): must be a JSON object']);
  if (typeof doc['name'] !== 'string' || !NAME_PATTERN.test(doc['name'])) {
    problems.push(`name: must be a reverse-DNS name with one "/", e.g. "io.github.owner/weather" (got ${JSON.stringify(doc['name'])})`);
  }
  if (typeof doc['description'] !== 'string') problems.push('description: required string');
  if (typeof doc['version'] !== 'string') problems.push('version: required string');
  checkPackages(doc['packages'], problems);
  checkRemotes(doc['remotes'], problems);
  if (problems.length > 0) throw new ServerJsonError(problems);
}

function checkPackages(packages: unknown, problems: string[]): void {
  if (packages === undefined) return;
  if (!Array.isArray(packages)) {
    problems.push('packages: must be an array');
    return;
  }
  packages.forEach((p, i) => {
    const at = `packages[${i}]`;
    if (!isRecord(p)) return void problems.push(`${at}: must be an object`);
    if (typeof p['registryType'] !== 'string') problems.push(`${at}.registryType: required string (npm, pypi, oci, nuget, mcpb)`);
    if (typeof p['identifier'] !== 'string') problems.push(`${at}.identifier: required string`);
    if (p['version'] !== undefined && typeof p['version'] !== 'string') problems.push(`${at}.version: must be a string`);
    checkTransport(p['transport'], `${at}.transport`, false, problems);
    checkInputs(p['environmentVariables'], `${at}.environmentVariables`, problems);
    for (const key of ['runtimeArguments', 'packageArguments']) {
      const args = p[key];
      if (args !== undefined && (!Array.isArray(args) || !args.every(isRecord))) problems.push(`${at}.${key}: must be an array of objects`);
    }
  });
}

function checkRemotes(remotes: unknown, problems: string[]): void {
  if (remotes === undefined) return;
  if (!Array.isArray(remotes)) problems.push('remotes: must be an array');
  else remotes.forEach((r, i) => checkTransport(r, `remotes[${i}]`, true, problems));
}

/** A remote is reached over HTTP, so it may not be stdio; any HTTP transport needs a url. */
function checkTransport(t: unknown, path: string, remote: boolean, problems: string[]): void {
  if (!isRecord(t)) {
    problems.push(`${path}: must be an object with "type"`);
    return;
  }
  const allowed = remote ? TRANSPORTS.slice(1) : TRANSPORTS;
  if (typeof t['type'] !== 'string' || !allowed.includes(t['type'])) {
    problems.push(`${path}.type: must be one of ${allowed.join(', ')} (got ${JSON.stringify(t['type'])})`);
  } else if (t['type'] !== 'stdio' && typeof t['url'] !== 'string') {
    problems.push(`${path}.url: required for ${t['type']}`);
  }
  checkInputs(t['headers'], `${path}.headers`, problems);
}

function checkInputs(list: unknown, path: string, problems: string[]): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) {
    problems.push(`${path}: must be an array`);
    return;
  }
  list.forEach((item, i) => {
    if (!isRecord(item) || typeof item['name'] !== 'string' || item['name'] === '') problems.push(`${path}[${i}].name: must be a non-empty string`);
  });
}
