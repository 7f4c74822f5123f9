/**
 * Sizes as people write them on command lines and in configuration: `512KiB`,
 * `4MiB`, `1GiB` (binary units), `500kB`, `5MB`, `1GB` (decimal units), or a
 * whole number of bytes (`1048576`, `800B`). One parser for every size flag
 * and one way to print a size in messages.
 */

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
};

/** How a size is written, for messages: "a size like 512KiB, 4MiB, 5MB or 1048576 (bytes)". */
export const SIZE_EXAMPLES = 'a size like 512KiB, 4MiB, 5MB or 1048576 (bytes)';

/**
 * Bytes of a size such as `4MiB`, or undefined when `text` is not a positive
 * whole number of bytes written with or without a unit (units are
 * case-insensitive; `KiB`/`MiB`/`GiB` are powers of 1024, `kB`/`MB`/`GB` of 1000).
 * @example parseSize('4MiB') // 4_194_304
 * @example parseSize('1.5kB') // 1_500
 * @example parseSize('4 megs') // undefined
 */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = m[2] === '' ? 1 : UNIT_BYTES[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Number(m[1]) * unit;
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

/**
 * A byte count for people: the largest binary unit that divides it, else bytes.
 * @example formatSize(4 * 1024 * 1024) // '4 MiB'
 * @example formatSize(5_000_000) // '5000000 bytes'
 */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} byte${bytes === 1 ? '' : 's'}`;
}
