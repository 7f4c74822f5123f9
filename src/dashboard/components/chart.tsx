/**
 * A time-series line chart: uPlot draws the lines on a canvas (it sets sizes
 * through `element.style`, which the page's CSP allows, and injects no `<style>`),
 * and the same numbers are a table beside it — visually hidden for screen
 * readers, shown in place of nothing by the "Show as table" button. The legend is
 * ours (swatches coloured by CSS class), so uPlot's own legend table is off.
 *
 * @example
 * <TimeChart id="calls" title="Calls" yLabel="calls per minute" xs={starts} series={[{ label: 'Calls', values: total }]} />
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartSeries } from '../activity-series.ts';
import { shortTime } from '../time.ts';
import './chart.css';

/**
 * Line colours, in order; `chart.css` gives `.swatch-<i>` the same colours (each
 * at least 3:1 against white, as non-text graphics need).
 */
export const SERIES_COLOURS = ['#0a58ca', '#a40e26', '#6e4b00', '#8250df', '#116329', '#57606a'] as const;

/** Props of {@link TimeChart}. */
export interface TimeChartProps {
  /** Unique on the page: the title's and table's ids derive from it. */
  id: string;
  title: string;
  /** The y axis' label, short (it stands beside a short chart): "calls", "ms". */
  yLabel: string;
  /** The start of each bucket, as Unix seconds. */
  xs: number[];
  series: ChartSeries[];
  /** Canvas height in CSS pixels (default 180). */
  height?: number;
  /** Counts: the y axis ticks whole numbers only. */
  integer?: boolean;
  /** Mark each value with a dot (for sparse series, where a lone value between gaps draws no line). */
  points?: boolean;
  /** How the numbers are shown in the table (default: as they are). */
  format?: (v: number) => string;
}

const X_LABEL = 'Time (local)';
/** Tick steps for counts: no "0.5 calls". */
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000];

function plotOptions(props: TimeChartProps, width: number, onCursor: (index: number | null | undefined) => void): uPlot.Options {
  const axis = { stroke: '#1b1f24', grid: { stroke: '#d0d7de', width: 1 }, ticks: { stroke: '#d0d7de', width: 1 }, font: '12px system-ui, sans-serif', labelFont: '600 12px system-ui, sans-serif' };
  return {
    width,
    height: props.height ?? 180,
    legend: { show: false },
    // uPlot's legend is off, so the values under the cursor are read out below the chart instead.
    hooks: { setCursor: [(u) => onCursor(u.cursor.idx)] },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] } },
    axes: [
      { ...axis, label: X_LABEL, labelSize: 20 },
      { ...axis, label: props.yLabel, labelSize: 20, size: 50, ...(props.integer ? { incrs: WHOLE_STEPS } : {}) },
    ],
    series: [{}, ...props.series.map((s, i) => ({ label: s.label, stroke: SERIES_COLOURS[(s.colour ?? i) % SERIES_COLOURS.length], width: 2, points: { show: props.points === true, size: 5 } }))],
  };
}

function dataOf(props: TimeChartProps): uPlot.AlignedData {
  return [props.xs, ...props.series.map((s) => s.values)] as uPlot.AlignedData;
}

/** The chart, its legend, and its numbers as a table. */
export function TimeChart(props: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const [tableShown, setTableShown] = useState(false);
  const [cursorAt, setCursorAt] = useState<number | null | undefined>();
  const shape = props.series.map((s) => `${s.label}:${s.colour ?? ''}`).join('|') + `|${props.yLabel}|${props.height ?? ''}|${props.points === true}|${props.integer === true}`;

  // (Re)create the plot when the lines change; only the data when it is the same lines.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(plotOptions(props, Math.max(200, el.clientWidth), setCursorAt), dataOf(props), el);
    plot.current = u;
    const resized = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 180 }));
    resized.observe(el);
    return () => {
      resized.disconnect();
      u.destroy();
      plot.current = undefined;
    };
  }, [shape]);
  useEffect(() => {
    plot.current?.setData(dataOf(props));
  }, [props.xs, props.series]);

  const format = props.format ?? ((v: number) => String(v));
  // Only buckets holding something: a table of sixty zeros tells a listener nothing.
  const rows = props.xs.map((x, i) => ({ x, values: props.series.map((s) => s.values[i] ?? null) })).filter((r) => r.values.some((v) => v !== null && v !== 0));
  const titleId = `${props.id}-title`;
  const tableId = `${props.id}-table`;
  return (
    <figure class="chart" aria-labelledby={titleId} data-chart={props.id}>
      <div class="chart-head">
        <h3 id={titleId}>{props.title}</h3>
        <button type="button" class="secondary small" aria-pressed={tableShown} aria-controls={tableId} onClick={() => setTableShown(!tableShown)}>
          {tableShown ? 'Show as chart' : 'Show as table'}
        </button>
      </div>
      <ul class="chart-legend" aria-hidden="true">
        {props.series.map((s, i) => (
          <li key={s.label}>
            <span class={`swatch swatch-${(s.colour ?? i) % SERIES_COLOURS.length}`} />
            {s.label}
          </li>
        ))}
      </ul>
      {/* The canvas says nothing to a screen reader; the table below carries the numbers. */}
      <div ref={box} class={tableShown ? 'chart-plot visually-hidden' : 'chart-plot'} aria-hidden="true" />
      <p class={tableShown ? 'visually-hidden' : 'chart-readout'} aria-hidden="true">
        {cursorAt !== null && cursorAt !== undefined && props.xs[cursorAt] !== undefined
          ? `${shortTime(new Date(props.xs[cursorAt]! * 1000).toISOString()).slice(0, 16)}: ${props.series.map((s) => `${s.label} ${s.values[cursorAt] === null || s.values[cursorAt] === undefined ? '-' : format(s.values[cursorAt]!)}`).join(', ')}`
          : 'Point at the chart for its values.'}
      </p>
      <div class={tableShown ? 'chart-table table-wrap' : 'visually-hidden'} id={tableId} {...(tableShown ? { role: 'region', 'aria-label': `${props.title} as a table`, tabIndex: 0 } : {})}>
        <table>
          <caption>
            {props.title} ({props.yLabel}){rows.length < props.xs.length ? '; buckets with nothing are left out' : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">{X_LABEL}</th>
              {props.series.map((s) => (
                <th scope="col" key={s.label}>
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colSpan={props.series.length + 1}>Nothing in this window.</td>
              </tr>
            ) : (
              rows.map((r) => (
                <tr key={r.x}>
                  <th scope="row">
                    <time dateTime={new Date(r.x * 1000).toISOString()}>{shortTime(new Date(r.x * 1000).toISOString()).slice(0, 16)}</time>
                  </th>
                  {r.values.map((v, i) => (
                    <td class="num" key={i} data-series={props.series[i]!.label}>
                      {v === null ? '-' : format(v)}
                    </td>
                  ))}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
