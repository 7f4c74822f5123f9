/**
 * Newline-delimited JSON over a byte stream: the registry's watch format.
 */

/**
 * Splits a byte stream into non-empty lines (without the newline); cancels the
 * stream when the consumer stops early.
 * @example for await (const line of ndjsonLines(res.body)) handle(JSON.parse(line));
 */
export async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
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
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
