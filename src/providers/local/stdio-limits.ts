/**
 * The stdio bridge's limits: what the manifest's `spec.runtime.stdio` asks for,
 * with defaults applied, and how they travel to the bridge process as flags.
 * One place, so the provider that writes the flags and the bridge that reads
 * them cannot disagree.
 */
import type { StdioBridgeSpec } from '../../manifest/types.ts';

/** Limits of one stdio bridge (one MCPServer), defaults applied. */
export interface StdioLimits {
  /** Sessions (stdio server processes) at most at once. */
  maxSessions: number;
  /** Resident memory at most of all the bridge's stdio server processes together, in MiB. */
  maxMemoryMiB: number;
  /** A session with nothing in flight and no traffic for this long is ended. */
  idleTimeoutSeconds: number;
}

/**
 * Defaults, the same as the schema's: a handful of sessions, half a GiB, five minutes.
 * A stdio server written in Node takes about 90 MiB, so 512 MiB holds about five of them.
 */
export const STDIO_LIMIT_DEFAULTS: Readonly<StdioLimits> = { maxSessions: 8, maxMemoryMiB: 512, idleTimeoutSeconds: 300 };

/** Flag of the bridge process for each limit. */
const FLAGS: Record<keyof StdioLimits, string> = {
  maxSessions: '--max-sessions',
  maxMemoryMiB: '--max-memory-mib',
  idleTimeoutSeconds: '--idle-timeout-s',
};

/** A bridge flag with a value that is not a positive number. */
export class BridgeFlagError extends Error {
  readonly code = 'bridge-flag';
  constructor(flag: string, value: string) {
    super(`${flag} needs a positive number, got ${JSON.stringify(value)}`);
    this.name = 'BridgeFlagError';
  }
}

/**
 * The limits of a manifest's `spec.runtime.stdio`, each absent field its default.
 * @example stdioLimitsOf({ maxSessions: 2 }) // { maxSessions: 2, maxMemoryMiB: 512, idleTimeoutSeconds: 300 }
 */
export function stdioLimitsOf(spec: StdioBridgeSpec | undefined): StdioLimits {
  return {
    maxSessions: spec?.maxSessions ?? STDIO_LIMIT_DEFAULTS.maxSessions,
    maxMemoryMiB: spec?.maxMemoryMiB ?? STDIO_LIMIT_DEFAULTS.maxMemoryMiB,
    idleTimeoutSeconds: spec?.idleTimeoutSeconds ?? STDIO_LIMIT_DEFAULTS.idleTimeoutSeconds,
  };
}

/**
 * The bridge process's flags for these limits.
 * @example stdioLimitFlags(STDIO_LIMIT_DEFAULTS) // ['--max-sessions', '8', '--max-memory-mib', '512', '--idle-timeout-s', '300']
 */
export function stdioLimitFlags(limits: StdioLimits): string[] {
  return (Object.keys(FLAGS) as (keyof StdioLimits)[]).flatMap((k) => [FLAGS[k], String(limits[k])]);
}

/**
 * Reads the limits back from the bridge's flags; a flag not given is its default.
 * Fractions are allowed (tests use `--idle-timeout-s 0.5`).
 * @throws {BridgeFlagError} for a value that is not a positive number.
 */
export function parseStdioLimitFlags(flag: (name: string) => string | undefined): StdioLimits {
  const out = { ...STDIO_LIMIT_DEFAULTS };
  for (const k of Object.keys(FLAGS) as (keyof StdioLimits)[]) {
    const raw = flag(FLAGS[k]);
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new BridgeFlagError(FLAGS[k], raw);
    out[k] = n;
  }
  return out;
}

/**
 * What changed between two sets of limits, for a restart reason.
 * @example describeLimitChanges(a, b) // "maxSessions 8 → 16, idleTimeoutSeconds 300 → 60"
 */
export function describeLimitChanges(prev: StdioLimits | undefined, next: StdioLimits | undefined): string {
  const a = prev ?? STDIO_LIMIT_DEFAULTS;
  const b = next ?? STDIO_LIMIT_DEFAULTS;
  return (Object.keys(FLAGS) as (keyof StdioLimits)[])
    .filter((k) => a[k] !== b[k])
    .map((k) => `${k} ${a[k]} → ${b[k]}`)
    .join(', ');
}
