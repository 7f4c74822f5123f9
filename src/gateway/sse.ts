/**
 * Incremental Server-Sent Events framing for response transforms: feed it the
 * upstream's chunks as they arrive, get whole events back the moment their
 * terminating blank line arrives. Nothing is held back beyond the incomplete tail.
 */
import { StringDecoder } from 'node:string_decoder';

/** One SSE event as written on the wire. */
export interface SseEvent {
  /** `id:` field, if present. */
  id?: string;
  /** `event:` field, if present (absent means "message"). */
  event?: string;
  /** `retry:` field, if present. */
  retry?: string;
  /** `data:` lines joined with "\n"; undefined when the event had no data line. */
  data?: string;
  /** Comment lines (without the leading ':'), kept so keep-alives pass through. */
  comments?: string[];
}

const BOUNDARY = /\r\n\r\n|\n\n|\r\r/g;
const LINE = /\r\n|\r|\n/;

/**
 * Splits a byte stream into SSE events.
 * @example
 * const p = new SseParser();
 * p.push(Buffer.from('id: 1\ndata: {"a"')); // []
 * p.push(Buffer.from(':1}\n\n'));           // [{ id: '1', data: '{"a":1}' }]
 */
export class SseParser {
  #decoder = new StringDecoder('utf8');
  #buffer = '';

  /** Adds a chunk; returns the events it completed, in order. */
  push(chunk: Buffer | string): SseEvent[] {
    this.#buffer += typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    const events: SseEvent[] = [];
    let start = 0;
    BOUNDARY.lastIndex = 0;
    for (let m = BOUNDARY.exec(this.#buffer); m; m = BOUNDARY.exec(this.#buffer)) {
      const block = this.#buffer.slice(start, m.index);
      start = m.index + m[0].length;
      const ev = parseBlock(block);
      if (ev) events.push(ev);
    }
    if (start > 0) this.#buffer = this.#buffer.slice(start);
    return events;
  }

  /** Whatever incomplete text is pending (for diagnostics). */
  get pending(): string {
    return this.#buffer;
  }
}

function parseBlock(block: string): SseEvent | undefined {
  if (block.length === 0) return undefined;
  const ev: SseEvent = {};
  const data: string[] = [];
  for (const line of block.split(LINE)) {
    if (line.length === 0) continue;
    if (line.charCodeAt(0) === 58 /* : */) {
      (ev.comments ??= []).push(line.slice(1));
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'id') ev.id = value;
    else if (field === 'event') ev.event = value;
    else if (field === 'retry') ev.retry = value;
  }
  if (data.length > 0) ev.data = data.join('\n');
  return ev;
}

/** Serialises an event back to wire form, ending with the blank line. */
export function formatSseEvent(ev: SseEvent): string {
  let out = '';
  if (ev.comments) for (const c of ev.comments) out += `:${c}\n`;
  if (ev.event !== undefined) out += `event: ${ev.event}\n`;
  if (ev.id !== undefined) out += `id: ${ev.id}\n`;
  if (ev.retry !== undefined) out += `retry: ${ev.retry}\n`;
  if (ev.data !== undefined) for (const line of ev.data.split('\n')) out += `data: ${line}\n`;
  return out + '\n';
}
