/**
 * The `berth` command: flag parsing per command (`commands/`), client
 * configuration, the one wiring function (`runtime.ts`) and the one logger
 * factory (`logger.ts`). The only room that reads the environment. Its entry
 * point is `bin.ts`; this file exists to state the room's rule.
 *
 * May import: anything; nothing imports it.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 */
export {};
