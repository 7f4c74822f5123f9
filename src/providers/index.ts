/**
 * The runtime providers: the interface every runtime implements (`provider.ts`,
 * the only part the reconciler sees), the MCP health probes the runtimes share,
 * and one folder per runtime (`local`, `remote`, `ecs`) — the only code that
 * touches processes or an AWS SDK. Adding a runtime means adding a folder.
 *
 * May import: manifest, kit.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 *
 * Other rooms import the modules of this folder directly; this file states the
 * room's rule and exports nothing.
 */
export {};
