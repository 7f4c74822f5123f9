/**
 * Builds the browser app (`src/dashboard/main.tsx`) in memory with esbuild when
 * the registry starts: one minified, content-hashed JS file and one CSS file,
 * each kept with its gzip, plus the index.html that names them (no inline script
 * or style, so the CSP can forbid both). Nothing is written to disk and no build
 * step precedes `npm start`. A build error becomes a {@link DashboardBuildError}
 * whose message lists each problem as `file:line:column: text`.
 */
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Message } from 'esbuild';

/** One built file as served. */
export interface Asset {
  /** `main-<hash>.js`, `main-<hash>.css`, or `index.html`. */
  name: string;
  contentType: string;
  body: Uint8Array;
  gzip: Uint8Array;
}

/** The built app: its assets by name and the index page. */
export interface DashboardBundle {
  assets: Map<string, Asset>;
  index: Asset;
  /** Bytes of JavaScript shipped, raw and gzipped. */
  jsBytes: { raw: number; gzip: number };
}

/** The browser app did not build; `message` lists every problem with its file and line. */
export class DashboardBuildError extends Error {
  override name = 'DashboardBuildError';
}

/** The repository root (where src/ and node_modules/ are). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The app's entry point. */
export const DASHBOARD_ENTRY = join(ROOT, 'src/dashboard/main.tsx');

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8' };

function asset(name: string, body: Uint8Array): Asset {
  const ext = name.slice(name.lastIndexOf('.'));
  return { name, contentType: TYPES[ext] ?? 'application/octet-stream', body, gzip: gzipSync(body, { level: 9 }) };
}

function describe(m: Message): string {
  const at = m.location ? `${relative(ROOT, resolve(ROOT, m.location.file))}:${m.location.line}:${m.location.column}: ` : '';
  return `${at}${m.text}`;
}

/** The index page: loads the stylesheet and the module script by their hashed names. */
function indexHtml(js: string, css: string | undefined): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Berth</title>',
    '<link rel="icon" href="data:,">',
    ...(css !== undefined ? [`<link rel="stylesheet" href="/ui/assets/${css}">`] : []),
    `<script type="module" src="/ui/assets/${js}"></script>`,
    '</head>',
    '<body>',
    '<div id="app"></div>',
    '<noscript>The Berth dashboard needs JavaScript. The same information is in the CLI: berth get mcpservers.</noscript>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * Bundles the app at `entry`.
 * @throws DashboardBuildError naming each problem's file and line
 */
export async function buildDashboard(entry: string = DASHBOARD_ENTRY): Promise<DashboardBundle> {
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      absWorkingDir: ROOT,
      bundle: true,
      write: false,
      outdir: 'out',
      entryNames: '[name]-[hash]',
      assetNames: '[name]-[hash]',
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      minify: true,
      jsx: 'automatic',
      jsxImportSource: 'preact',
      tsconfig: join(dirname(entry), 'tsconfig.json'),
      logLevel: 'silent',
      legalComments: 'none',
      // The manifest's spec hashes use node:crypto's sha256; the browser gets a synchronous one.
      alias: { 'node:crypto': join(ROOT, 'src/dashboard/shims/node-crypto.ts') },
    });
  } catch (cause) {
    const errors = (cause as { errors?: Message[] }).errors;
    const detail = errors && errors.length > 0 ? errors.map(describe).join('\n') : String(cause);
    throw new DashboardBuildError(`the dashboard (${relative(ROOT, entry)}) does not build:\n${detail}`, { cause });
  }
  const assets = new Map<string, Asset>();
  let js: string | undefined;
  let css: string | undefined;
  for (const file of result.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf('/') + 1);
    assets.set(name, asset(name, file.contents));
    if (name.endsWith('.js')) js = name;
    else if (name.endsWith('.css')) css = name;
  }
  if (js === undefined) throw new DashboardBuildError(`the dashboard (${relative(ROOT, entry)}) built no JavaScript`);
  const jsAsset = assets.get(js)!;
  return { assets, index: asset('index.html', new TextEncoder().encode(indexHtml(js, css))), jsBytes: { raw: jsAsset.body.length, gzip: jsAsset.gzip.length } };
}
