/**
 * The kit: small pieces every room of Berth shares, written once — time
 * ({@link Clock}), backoff, a keyed lock, durations and sizes, and what an error means
 * (its cause chain, one line for it, whether retrying helps), and how every
 * process logs (one redaction list, one error serializer).
 *
 * May import: nothing else in src.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 *
 * Other rooms import the modules of this folder directly; this file states the
 * room's rule and exports nothing.
 */
export {};
