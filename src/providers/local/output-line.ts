/**
 * How one line of a server's own output becomes a log record of Berth's. A plain
 * line is logged as `{ stream, line }` with the line as the message. A line that
 * is itself a JSON object (a server logging with pino, say) is logged as its own
 * record — its fields beside Berth's, its `msg` as the message, its level kept —
 * instead of one JSON string nested in another. The server's fields never replace
 * Berth's: the names that say which server and stream a record came from (and
 * pino's own) are dropped, so a server cannot pass its lines off as another's.
 *
 * @example
 * outputRecord('stderr', '{"level":50,"msg":"db down","retry":3}')
 * // { level: 'error', fields: { stream: 'stderr', retry: 3 }, msg: 'db down' }
 */

/** A pino level name. */
export type OutputLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** What to log for one line. */
export interface OutputRecord {
  level: OutputLevel;
  fields: Record<string, unknown>;
  msg: string;
}

const LEVEL_NUMBERS: Record<number, OutputLevel> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const LEVEL_NAMES = new Set<string>(Object.values(LEVEL_NUMBERS));
// Berth's bindings (server, source) and record fields (stream, line), and what pino writes itself.
const RESERVED = new Set(['server', 'source', 'stream', 'line', 'level', 'time', 'pid', 'hostname', 'msg', 'message', 'v']);
// A line is read in pieces of at most 1 MiB; past this many fields it is kept as a plain line.
const MAX_FIELDS = 64;

function levelOf(value: unknown): OutputLevel {
  if (typeof value === 'number' && LEVEL_NUMBERS[value]) return LEVEL_NUMBERS[value];
  if (typeof value === 'string' && LEVEL_NAMES.has(value.toLowerCase())) return value.toLowerCase() as OutputLevel;
  return 'info';
}

/** The record for `line` from `stream` (pure; never throws). */
export function outputRecord(stream: 'stdout' | 'stderr', line: string): OutputRecord {
  const plain: OutputRecord = { level: 'info', fields: { stream, line }, msg: line };
  if (!line.startsWith('{')) return plain;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return plain;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return plain;
  const obj = parsed as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length > MAX_FIELDS) return plain;
  const fields: Record<string, unknown> = { stream };
  for (const k of keys) if (!RESERVED.has(k)) fields[k] = obj[k];
  const text = typeof obj.msg === 'string' ? obj.msg : typeof obj.message === 'string' ? obj.message : '';
  return { level: levelOf(obj.level), fields, msg: text };
}
