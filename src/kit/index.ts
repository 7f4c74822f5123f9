/**
 * The kit: small pieces every room of Berth shares, written once — time
 * ({@link Clock}), backoff, a keyed lock, durations and sizes, and what an error means
 * (its cause chain, one line for it, whether retrying helps), how every
 * process logs (one redaction list, one error serializer), what is cut from text
 * others read (URL userinfo, `<redacted>`), outbound connections whose
 * resolved address is checked at connect time (guarded-connect.ts), and an
 * identity provider's discovery document (issuer-metadata.ts).
 *
 * May import: nothing else in src.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 *
 * Other rooms import the modules of this folder directly; this file states the
 * room's rule and exports nothing.
 */
export {};
