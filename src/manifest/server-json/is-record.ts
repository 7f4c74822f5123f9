/**
 * True for a plain JSON object. Arrays are excluded because server.json never uses one
 * where it expects an object, and a document read from JSON is untrusted until checked.
 */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
