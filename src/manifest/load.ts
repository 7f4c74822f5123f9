/**
 * Reading manifests from files, folders and stdin, as `berth validate` and
 * `berth apply -f` take them. Local file I/O only.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { MAX_FILE_BYTES } from './limits.ts';
import type { Problem } from './problem.ts';
import { parseManifestText, tooLargeProblem, type ParsedDocument } from './yaml-source.ts';

/** Everything read from the given paths. */
export interface LoadResult {
  /** Every manifest document, in file order (files sorted within each folder). */
  documents: ParsedDocument[];
  /** Problems that kept documents from being read (syntax, size, empty files). */
  problems: Problem[];
  /** Display names of the files read, relative to `cwd` (`-` for stdin). */
  files: string[];
}

/** Thrown before anything is read when some given paths do not exist; lists all of them. */
export class ManifestPathError extends Error {
  override readonly name = 'ManifestPathError';
  readonly paths: readonly string[];
  constructor(paths: readonly string[], options?: ErrorOptions) {
    super(`${paths.length === 1 ? 'path does' : 'paths do'} not exist: ${paths.join(', ')}`, options);
    this.paths = paths;
  }
}

/**
 * Reads manifests from `paths`: files are read whatever their extension; folders are
 * walked recursively for `.yaml`/`.yml` files in sorted order, skipping `node_modules`
 * and dot-folders (a dot-folder given explicitly is read); `-` reads `readStdin()`.
 * A symbolic link inside a walked folder that resolves outside that folder is not
 * followed: it is reported as a problem naming the link (never what it points at,
 * never its content), so a manifest folder can't make `validate` or `apply` read
 * and echo files from elsewhere on the machine (a key, /etc/shadow).
 * Files over 1 MiB are reported without being read. File names in the result and in
 * problems are relative to `cwd` when inside it.
 * @throws ManifestPathError when a path does not exist (nothing is read then).
 */
export async function loadManifestPaths(
  paths: readonly string[],
  cwd: string,
  readStdin?: () => Promise<string>,
): Promise<LoadResult> {
  const missing: string[] = [];
  const targets: { path: string; isDir: boolean }[] = [];
  for (const p of paths) {
    if (p === '-') {
      targets.push({ path: '-', isDir: false });
      continue;
    }
    const abs = resolve(cwd, p);
    try {
      targets.push({ path: abs, isDir: (await stat(abs)).isDirectory() });
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT' || (cause as NodeJS.ErrnoException).code === 'ENOTDIR') missing.push(p);
      else throw new Error(`cannot read ${p}`, { cause });
    }
  }
  if (missing.length > 0) throw new ManifestPathError(missing);

  const files: string[] = [];
  const outside: string[] = [];
  const seen = new Set<string>();
  for (const t of targets) {
    if (t.path === '-') files.push('-');
    else if (t.isDir) files.push(...(await walk(t.path, seen, { root: await realpath(t.path), outside })));
    else if (!seen.has(await realpath(t.path))) {
      seen.add(await realpath(t.path));
      files.push(t.path);
    }
  }

  const result: LoadResult = { documents: [], problems: [], files: [] };
  for (const link of outside) result.problems.push(linkOutsideProblem(displayName(link, cwd)));
  for (const file of files) {
    const display = file === '-' ? '-' : displayName(file, cwd);
    result.files.push(display);
    let text: string;
    if (file === '-') {
      if (!readStdin) throw new Error('"-" (stdin) was given but no stdin reader was supplied');
      text = await readStdin();
    } else {
      const size = (await stat(file)).size;
      if (size > MAX_FILE_BYTES) {
        result.problems.push(tooLargeProblem(display, size));
        continue;
      }
      try {
        text = await readFile(file, 'utf8');
      } catch (cause) {
        throw new Error(`cannot read ${display}`, { cause });
      }
    }
    const parsed = parseManifestText(text, display);
    result.documents.push(...parsed.documents);
    result.problems.push(...parsed.problems);
  }
  return result;
}

/** The problem of a symbolic link leading out of the folder being walked. Names the link only. */
function linkOutsideProblem(link: string): Problem {
  return {
    position: { file: link, line: 1, column: 1 },
    path: '',
    code: 'symlink-outside-folder',
    message: 'is a symbolic link to something outside the folder being read, so it was not followed; copy the manifest into the folder, or give its path explicitly',
  };
}

/** True when `real` is `root` or inside it (both real paths). */
function isInside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The .yaml/.yml files under `dir`, sorted; links that resolve outside `walk.root`
 * (the real path of the folder given) go to `walk.outside` instead.
 */
async function walk(dir: string, seen: Set<string>, scope: { root: string; outside: string[] }): Promise<string[]> {
  const real = await realpath(dir);
  if (seen.has(real)) return []; // a symlink loop or a folder given twice
  seen.add(real);
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const full = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      let real: string;
      try {
        real = await realpath(full);
        const s = await stat(real);
        isDir = s.isDirectory();
        isFile = s.isFile();
      } catch {
        continue; // dangling link
      }
      if (!isInside(scope.root, real)) {
        if (isDir || /\.ya?ml$/i.test(e.name)) scope.outside.push(full);
        continue;
      }
    }
    if (isDir) out.push(...(await walk(full, seen, scope)));
    else if (isFile && /\.ya?ml$/i.test(e.name)) {
      const realFile = await realpath(full);
      if (seen.has(realFile)) continue;
      seen.add(realFile);
      out.push(full);
    }
  }
  return out;
}

function displayName(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}
