/**
 * The registry: the `Store` port and its adapters (SQLite embedded, MongoDB /
 * Amazon DocumentDB for production), `openStore(url)`, the HTTP API with its
 * watch, apply/prune, auth, audit and route claims, the API in process for
 * parts that run beside it, and the serving side of the dashboard (`dashboard/`:
 * the in-memory build of src/dashboard, /ui routes, browser sessions, CSRF, CSP;
 * it bundles that room by path, never imports it). Consumers never import this room: they reach the
 * registry through the client layer (src/client).
 *
 * May import: client, manifest, kit.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 *
 * Other rooms import the modules of this folder directly; this file states the
 * room's rule and exports nothing.
 */
export {};
