/**
 * Tool results the example servers return: JSON text a model can read and
 * `structuredContent` a program can use without parsing.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/**
 * A successful tool result carrying `value` as pretty JSON text and as structured content.
 * @example return jsonResult({ opportunity });
 */
export function jsonResult(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value };
}

/**
 * A tool-level failure (`isError: true`): the model sees what went wrong and how to
 * recover, instead of a protocol error.
 * @example return toolError('No opportunity "006X"; call searchOpportunity to find ids.');
 */
export function toolError(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}
