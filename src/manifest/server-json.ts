/**
 * Interop with the official MCP Registry `server.json` (schema 2025-12-11).
 *
 * `importServerJson` turns a server.json into an MCPServer manifest; `exportServerJson`
 * turns a manifest back into server.json. Both are pure and return `notes`: one sentence
 * per thing the user must know or do (a placeholder to fill, a field Berth can't hold).
 *
 * Round trip: everything server.json says that the spec has no field for is kept in
 * annotations (`berth.dev/server-json.*`, JSON values), and the package or remote the
 * spec was made from is kept verbatim, so import → export gives back the same document.
 * Export starts from those kept originals and applies what the spec now says, so edits
 * to the manifest (image, transport, env, url) show up in the exported file.
 *
 * This module is the public API; the parts live in `./server-json/`.
 */
export { importServerJson, type ImportOptions, type ImportResult } from './server-json/import.ts';
export { exportServerJson, type ExportResult } from './server-json/export.ts';
export { assertServerJson } from './server-json/check.ts';
export { ServerJsonError } from './server-json/error.ts';
export { REGISTRY_NAME_ANNOTATION } from './server-json/annotations.ts';
export * from './server-json/types.ts';
