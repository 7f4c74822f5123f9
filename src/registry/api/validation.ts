/**
 * Server-side validation of submitted objects: the registry never trusts clients.
 * Uses the same validator as `berth validate`, so API callers get the same
 * messages, as the problem's `errors` array (path + message + code).
 */
import { applyDefaults, stripServerOwned, validateObject, type AnyResource, type RemoteAddressRule } from '../../manifest/index.ts';
import { API_VERSION, type Kind, type Resource } from '../../manifest/resource.ts';
import { RegistryError } from '../../client/errors.ts';
import { jsonEqual } from './equality.ts';

/**
 * Checks a parsed body against the URL it was sent to and the kind's schema and
 * rules, then applies defaults.
 * @param kind the kind named by the URL
 * Server-owned fields (resourceVersion, status, …) are reported as in `berth validate`,
 * except with `roundTrip` (PUT of an object read back from the registry): then they
 * are dropped before validation and only `metadata.resourceVersion` (for optimistic
 * concurrency) and `metadata.finalizers` are kept.
 * @param name the name in the URL (absent for a create on the collection)
 * @param stored the object as stored, for a replace: when the body keeps its spec
 *   unchanged, problems inside the spec are not held against it (ratcheting, as
 *   Kubernetes does), so a schema tightened by an upgrade never blocks the
 *   controller's finalizer and label writes on objects admitted before it.
 * @param remoteAddresses the rule `spec.remote.url` is checked against (the operator's allow-list); default: the default rule
 * @throws RegistryError 400 when kind or name disagree with the URL, 422 with every problem when invalid
 */
export function admitObject(body: Record<string, unknown>, kind: Kind, name?: string, roundTrip = false, stored?: Resource, remoteAddresses?: RemoteAddressRule): Resource {
  if (body.kind !== undefined && body.kind !== kind) {
    throw new RegistryError(400, {
      type: 'kind-mismatch',
      title: 'Kind does not match the URL',
      detail: `the body is a ${JSON.stringify(body.kind)} but this URL holds ${kind} objects`,
    });
  }
  const meta = body.metadata as { name?: unknown } | undefined;
  if (name !== undefined && meta && typeof meta === 'object' && meta.name !== undefined && meta.name !== name) {
    throw new RegistryError(400, {
      type: 'name-mismatch',
      title: 'Name does not match the URL',
      detail: `metadata.name is ${JSON.stringify(meta.name)} but the URL names ${JSON.stringify(name)}`,
    });
  }
  const sentMeta = (meta && typeof meta === 'object' ? meta : {}) as { resourceVersion?: unknown; finalizers?: unknown };
  const candidate = roundTrip ? stripServerOwned(body) : body;
  const specKept = stored !== undefined && jsonEqual((candidate as { spec?: unknown }).spec, stored.spec);
  const problems = validateObject(candidate, remoteAddresses ? { remoteAddresses } : {}).filter((p) => !(specKept && (p.path === 'spec' || p.path.startsWith('spec.'))));
  if (problems.length > 0) {
    const label = `${kind}/${typeof meta?.name === 'string' ? meta.name : name ?? '(unnamed)'}`;
    throw new RegistryError(422, {
      type: 'invalid-object',
      title: 'Invalid object',
      detail: `${label} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems[0]!.path || '(document)'} ${problems[0]!.message}`,
      errors: problems.map((p) => ({ path: p.path, message: p.message, code: p.code })),
    });
  }
  const admitted = applyDefaults(structuredClone(candidate) as unknown as AnyResource) as Resource;
  if (admitted.apiVersion !== API_VERSION) throw new Error(`validator admitted apiVersion ${String(admitted.apiVersion)}`);
  if (roundTrip) {
    if (typeof sentMeta.resourceVersion === 'string') admitted.metadata.resourceVersion = sentMeta.resourceVersion;
    if (Array.isArray(sentMeta.finalizers)) admitted.metadata.finalizers = sentMeta.finalizers.filter((f): f is string => typeof f === 'string');
  }
  return admitted;
}
