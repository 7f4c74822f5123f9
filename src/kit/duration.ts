/**
 * Durations as people write them on command lines and in configuration:
 * `500ms`, `15s`, `5m`, `12h`, `30d`, `2w` (a number, then a unit; decimals
 * allowed: `1.5h`). One parser for every flag, API field and config value.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** How a duration is written, for messages: "a duration like 500ms, 15s, 5m, 12h or 30d". */
export const DURATION_EXAMPLES = 'a duration like 500ms, 15s, 5m, 12h or 30d';

/**
 * Milliseconds of a duration such as `15s`, or undefined when `text` is not a
 * positive duration with a unit (a bare number is refused: "30" could mean
 * seconds or days).
 * @example parseDuration('1.5h') // 5_400_000
 * @example parseDuration('30') // undefined
 */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
  return ms > 0 && Number.isFinite(ms) ? ms : undefined;
}

/**
 * A duration for people, in the largest unit that keeps it short: whole or
 * fractional seconds from one second up, milliseconds below.
 * @example formatDuration(60_000) // '60 s'
 * @example formatDuration(1_500) // '1.5 s'
 * @example formatDuration(200) // '200 ms'
 */
export function formatDuration(ms: number): string {
  return ms >= 1_000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms)} ms`;
}
