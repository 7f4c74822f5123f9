/**
 * The CPU/memory combinations AWS Fargate accepts, and helpers to pick defaults
 * and explain a wrong pair.
 */

/** Fargate CPU units, smallest first. */
export const FARGATE_CPUS = [256, 512, 1024, 2048, 4096, 8192, 16384] as const;

/** Valid memory sizes (MiB) for each CPU value, as AWS documents them. */
export const FARGATE_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** True when Fargate accepts `memory` MiB with `cpu` units. */
export function isValidFargatePair(cpu: number, memory: number): boolean {
  return FARGATE_MEMORY[cpu]?.includes(memory) ?? false;
}

/** Smallest valid memory for `cpu`, or undefined for an unknown cpu. */
export function minMemoryFor(cpu: number): number | undefined {
  return FARGATE_MEMORY[cpu]?.[0];
}

/** Smallest cpu that allows `memory`, or undefined when no cpu does. */
export function smallestCpuFor(memory: number): number | undefined {
  return FARGATE_CPUS.find((cpu) => isValidFargatePair(cpu, memory));
}

/** Memory choices for `cpu` in words: "512, 1024 or 2048" or "2048–8192 in steps of 1024". */
export function describeMemoryFor(cpu: number): string {
  const sizes = FARGATE_MEMORY[cpu];
  if (!sizes || sizes.length === 0) return 'none';
  if (sizes.length <= 3) return sizes.slice(0, -1).join(', ') + ` or ${sizes[sizes.length - 1]}`;
  const step = (sizes[1] ?? 0) - (sizes[0] ?? 0);
  return `${sizes[0]}–${sizes[sizes.length - 1]} in steps of ${step}`;
}
