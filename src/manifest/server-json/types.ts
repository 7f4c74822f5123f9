/**
 * The server.json wire format: the subset of the MCP Registry schema 2025-12-11 that
 * Berth maps. Every type has an index signature because fields Berth doesn't map must
 * survive the round trip untouched.
 */

/** The server.json schema these types follow; export writes it when the original had no `$schema`. */
export const SERVER_JSON_SCHEMA_URL = 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json';

/** A server.json `Input` / `KeyValueInput` (environment variable or header). */
export interface ServerJsonKeyValueInput {
  name: string;
  description?: string;
  isRequired?: boolean;
  isSecret?: boolean;
  format?: 'string' | 'number' | 'boolean' | 'filepath';
  value?: string;
  default?: string;
  placeholder?: string;
  choices?: string[];
  variables?: Record<string, unknown>;
  [extra: string]: unknown;
}

/** A server.json runtime or package argument. */
export interface ServerJsonArgument {
  type: 'positional' | 'named';
  name?: string;
  value?: string;
  valueHint?: string;
  default?: string;
  isRequired?: boolean;
  isRepeated?: boolean;
  [extra: string]: unknown;
}

/** A server.json transport (`stdio`, `streamable-http`, `sse`). */
export interface ServerJsonTransport {
  type: 'stdio' | 'streamable-http' | 'sse';
  url?: string;
  headers?: ServerJsonKeyValueInput[];
  variables?: Record<string, unknown>;
  [extra: string]: unknown;
}

/** A server.json package. */
export interface ServerJsonPackage {
  registryType: string;
  registryBaseUrl?: string;
  identifier: string;
  version?: string;
  fileSha256?: string;
  runtimeHint?: string;
  transport: ServerJsonTransport;
  runtimeArguments?: ServerJsonArgument[];
  packageArguments?: ServerJsonArgument[];
  environmentVariables?: ServerJsonKeyValueInput[];
  [extra: string]: unknown;
}

/** A server.json remote: an HTTP transport someone else already runs. */
export interface ServerJsonRemote extends ServerJsonTransport {
  type: 'streamable-http' | 'sse';
  url: string;
}

/** A server.json document. */
export interface ServerJson {
  $schema?: string;
  name: string;
  title?: string;
  description: string;
  version: string;
  repository?: { url: string; source: string; id?: string; subfolder?: string };
  websiteUrl?: string;
  icons?: Array<{ src: string; mimeType?: string; sizes?: string[]; theme?: 'light' | 'dark' }>;
  packages?: ServerJsonPackage[];
  remotes?: ServerJsonRemote[];
  _meta?: Record<string, unknown>;
  [extra: string]: unknown;
}
