/**
 * Reading Prometheus text (the exposition format `/metrics` serves and
 * prom-client's `Registry.metrics()` returns) in tests: one parser for scraped
 * and in-process metrics alike.
 */

/** One sample line: its labels and value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/**
 * Every sample of series `name` (for histograms: `<name>_bucket`, `_sum`, `_count`).
 * @example samples(text, 'berth_reconcile_total') // [{ labels: { provider: 'local', result: 'success' }, value: 2 }, …]
 */
export function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the sample of `name` with exactly `labels`; undefined when there is none. */
export function sampleValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels);
  return samples(text, name).find((s) => Object.keys(s.labels).length === wanted.length && wanted.every(([k, v]) => s.labels[k] === v))?.value;
}

/** Non-zero `berth_reconcile_total` samples as `"provider/result" → count`. */
export function reconcileCounts(text: string): Record<string, number> {
  return Object.fromEntries(samples(text, 'berth_reconcile_total').filter((s) => s.value > 0).map((s) => [`${s.labels['provider']}/${s.labels['result']}`, s.value]));
}
