/**
 * Reading a response body with a size limit, so a hostile or broken server at
 * the registry's address can't make a client buffer without bound (an endless
 * body drove the CLI to 8 GB). Past the limit the stream is cancelled and
 * {@link BodyTooLargeError} thrown; nothing past the limit is kept.
 */

/** The body (or one watch event) was larger than allowed. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  readonly limit: number;
  constructor(limit: number) {
    super(`larger than ${limit} bytes`);
    this.limit = limit;
  }
}

/**
 * The whole body as text, at most `maxBytes` bytes.
 * @throws BodyTooLargeError past the limit (also when Content-Length announces more)
 * @example const text = await readBodyText(res, 64 * 1024 * 1024);
 */
export async function readBodyText(res: Response, maxBytes: number): Promise<string> {
  const announced = Number(res.headers.get('content-length') ?? NaN);
  if (announced > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(maxBytes);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw new BodyTooLargeError(maxBytes);
      chunks.push(value);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}
