/**
 * The registry client layer: how every consumer of the registry — the
 * reconciler, the gateway, the CLI — reaches it. The `RegistryClient` interface
 * typed by kind, the wire types, the one error family with its one status table,
 * the HTTP and in-process clients, and the informer (list, then watch, relist on
 * "gone", one reconnect and backoff policy).
 *
 * May import: manifest, kit.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 *
 * Other rooms import the modules of this folder directly; this file states the
 * room's rule and exports nothing.
 */
export {};
