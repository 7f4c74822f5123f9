/**
 * Path checks done before anything reaches the Store: resource names must be DNS
 * labels and kinds must be known plurals, so path tricks (`..%2f`, `a/b`, unicode)
 * stop here with a 400.
 */
import { KIND_PLURALS, KINDS, type Kind } from '../../manifest/resource.ts';
import { RegistryError } from '../../client/errors.ts';

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** True when `name` is a DNS label: 1–63 of a-z, 0-9, '-', starting with a letter, not ending with '-'. */
export function isDnsLabel(name: string): boolean {
  return DNS_LABEL.test(name);
}

/**
 * Returns `name` when it is a DNS label, else throws a 400 problem naming the rule.
 * @example requireName('weather') // 'weather'; requireName('../x') throws 400
 */
export function requireName(name: string, what = 'name'): string {
  if (!isDnsLabel(name)) {
    throw new RegistryError(400, {
      type: 'invalid-name',
      title: 'Invalid name',
      detail: `${what} ${JSON.stringify(name)} is not a DNS label: use 1–63 lower-case letters, digits and '-', starting with a letter and not ending with '-'`,
    });
  }
  return name;
}

/** The kind whose URL plural is `plural`, or a 404 problem listing the known ones. */
export function kindFromPlural(plural: string): Kind {
  const kind = KINDS.find((k) => KIND_PLURALS[k] === plural);
  if (!kind) {
    throw new RegistryError(404, {
      type: 'unknown-resource',
      title: 'Unknown resource type',
      detail: `no resource type ${JSON.stringify(plural)}; known: ${KINDS.map((k) => KIND_PLURALS[k]).join(', ')}`,
    });
  }
  return kind;
}
