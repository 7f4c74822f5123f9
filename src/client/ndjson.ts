/**
 * Newline-delimited JSON over a byte stream: the registry's watch format.
 */

import { BodyTooLargeError } from './bounded-read.ts';

/**
 * Splits a byte stream into non-empty lines (without the newline); cancels the
 * stream when the consumer stops early. A line longer than `maxLineBytes`
 * (default: unbounded) throws {@link BodyTooLargeError} instead of growing the
 * buffer for ever.
 * @example for await (const line of ndjsonLines(res.body, 8 * 1024 * 1024)) handle(JSON.parse(line));
 */
export async function* ndjsonLines(body: ReadableStream<Uint8Array>, maxLineBytes = Infinity): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) yield line;
      }
      // What is left has no newline yet: one event still arriving. (Characters, not bytes: at most 4x off, and only ever under.)
      if (buffer.length > maxLineBytes) throw new BodyTooLargeError(maxLineBytes);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
