/**
 * Saving text the page built (an export) as a file: a Blob behind an
 * `<a download>`, so nothing goes back to the registry.
 */

/** Saves `text` as a file called `filename` through the browser's download. */
export function downloadText(filename: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own reference by now; freeing the URL later is harmless either way.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
