/**
 * The registry client layer: how every consumer of the registry — the
 * reconciler, the gateway, the CLI — reaches it. The `RegistryClient` interface
 * typed by kind, the wire types, the one error family with its one status table,
 * the HTTP and in-process clients, and the informer (list, then watch, relist on
 * "gone", one reconnect and backoff policy).
 *
 * May import: manifest, kit.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 */
export * from './errors.ts';
export { HttpRegistryClient, API_PREFIX, type HttpRegistryClientOptions } from './http-client.ts';
export { InProcessRegistryClient, type RegistryHandler } from './in-process-client.ts';
export { Informer, DEFAULT_WATCH_BACKOFF, type InformerEvent, type InformerLogger, type InformerOptions, type ListWatchSource } from './informer.ts';
export type { RegistryClient, TokenRequest } from './registry-client.ts';
export * from './wire.ts';
