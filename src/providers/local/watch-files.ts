/**
 * Change events for a few files, as the output readers use them: inotify
 * (`fs.watch`) on each file that exists now, never keeping the process alive. A
 * file that does not exist yet, a file system without events, or a watch that
 * breaks (the file deleted, say) is left to the caller's poll, which must run
 * behind it.
 *
 * @example
 * const unwatch = watchFiles([out, err], wake);
 * // … later
 * unwatch();
 */
import { watch, type FSWatcher } from 'node:fs';

/** Calls `onChange` when one of `paths` changes; returns the function that stops watching. */
export function watchFiles(paths: readonly string[], onChange: () => void): () => void {
  const watchers: FSWatcher[] = [];
  for (const path of paths) {
    try {
      const w = watch(path, { persistent: false }, onChange);
      w.on('error', () => w.close());
      watchers.push(w);
    } catch {
      // No such file yet, or no inotify: the poll reads it.
    }
  }
  return () => {
    for (const w of watchers) w.close();
  };
}
