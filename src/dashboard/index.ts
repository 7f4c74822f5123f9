/**
 * The dashboard: the browser app the registry serves at `/ui/` (issue 18). Preact
 * views over the registry's HTTP API, signed in with a session cookie; bundled by
 * esbuild in the registry process (`src/registry/dashboard/`), never run by Node.
 *
 * May import: manifest, client.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 *
 * Only the manifest's pure rules (lifecycle, conditions, policy) and the client's
 * wire *types* (`import type`): the client's code speaks Node's HTTP, the browser
 * has fetch. No `node:` module, since none exists in a browser. `main.tsx` is the
 * entry point; this file states the room's rule and exports nothing.
 */
export {};
