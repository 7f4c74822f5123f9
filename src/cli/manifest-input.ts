/**
 * How the manifest commands (validate, apply, diff, up) take their input: the
 * paths from the command line, and the files, folders or standard input behind
 * them, read under the manifest size limit.
 */
import type { Readable } from 'node:stream';
import { loadManifestPaths, ManifestPathError, MAX_FILE_BYTES, type LoadResult } from '../manifest/index.ts';
import { UsageError, type CommandIo } from './command.ts';

/** Reads a stream as UTF-8, stopping just past `limit` so a huge pipe fails fast. */
export async function readCapped(stream: Readable, limit: number = MAX_FILE_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(buf);
    size += buf.length;
    if (size > limit) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Loads the manifests at `paths` (files, folders searched for .yaml/.yml, `-` for
 * `io.stdin`) relative to `io.cwd`. Nothing is validated yet: parse problems come
 * back in `problems`.
 * @throws UsageError when a path does not exist or can't be read (the user's argument is wrong)
 */
export async function loadManifestInput(paths: string[], io: Pick<CommandIo, 'cwd' | 'stdin'>): Promise<LoadResult> {
  try {
    return await loadManifestPaths(paths, io.cwd, () => readCapped(io.stdin));
  } catch (err) {
    if (err instanceof ManifestPathError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

/**
 * The manifest paths of a command that takes them only through `-f` (apply, diff).
 * @throws UsageError on a stray positional argument or when no `-f` was given
 */
export function requireManifestFlags(filename: string[] | undefined, positionals: string[]): string[] {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; give manifests with -f`);
  const paths = filename ?? [];
  if (paths.length === 0) throw new UsageError('give manifests with -f <file | dir | ->');
  return paths;
}
