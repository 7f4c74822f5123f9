/**
 * What `berth --version` prints: the package version and the git commit it was
 * built from. The commit is baked in at image build time as `build-info.json`
 * next to this file (the Containerfile writes it from its BERTH_COMMIT build
 * argument); a checkout without that file says so instead of guessing.
 */
import { readFile } from 'node:fs/promises';

/** The build facts a release image carries. */
export interface BuildInfo {
  version: string;
  /** Full or short git commit, or undefined when this is not a built image. */
  commit?: string;
}

/** The file the image build writes: `{"commit":"<sha>"}`. */
export const BUILD_INFO_FILE = new URL('./build-info.json', import.meta.url);

/**
 * Reads the package version and, when present, the baked-in commit. A missing
 * file means a development checkout; an unreadable or malformed one is reported
 * as such rather than hidden, since a release image should always carry it.
 * `file` is for tests; the CLI reads {@link BUILD_INFO_FILE}.
 * @example const { version, commit } = await buildInfo();
 */
export async function buildInfo(file: URL = BUILD_INFO_FILE): Promise<BuildInfo> {
  const pkg = (await import('../../package.json', { with: { type: 'json' } })).default as { version: string };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: pkg.version };
    throw new Error(`cannot read ${file.pathname}: ${(err as Error).message}`, { cause: err });
  }
  let commit: unknown;
  try {
    commit = (JSON.parse(text) as { commit?: unknown }).commit;
  } catch (err) {
    throw new Error(`${file.pathname} is not JSON like {"commit":"<sha>"}; rebuild the image`, { cause: err });
  }
  // A build without the argument writes "unknown" (or nothing useful): say so, do not print it as a commit.
  if (typeof commit !== 'string' || !/^[0-9a-f]{7,40}$/.test(commit)) return { version: pkg.version };
  return { version: pkg.version, commit };
}

/** The one line `berth --version` prints. */
export function versionLine(info: BuildInfo): string {
  return `berth ${info.version} (commit ${info.commit ?? 'unknown: not built with BERTH_COMMIT'})\n`;
}
