/**
 * What checking an access token costs the gateway: a token seen before (the
 * verified-token cache: a Map lookup and an expiry check) against a first
 * verification (a signature check; the keys are already fetched), for RS256 and
 * ES256, against the local test issuer. Prints µs per verify, the median of
 * several rounds; asserts nothing.
 *
 *   node_modules/.bin/node test/bench/jwt-verify.ts [--rounds 7] [--tokens 200] [--hits 20000]
 */
import { performance } from 'node:perf_hooks';
import { createOidcVerifier } from '../../src/gateway/auth/oidc.ts';
import { startOidcIssuer, type IssuerAlg } from '../support/oidc-issuer.ts';
import { numberArg } from './bench-process.ts';

const ROUNDS = numberArg('rounds', 7);
const TOKENS = numberArg('tokens', 200);
const HITS = numberArg('hits', 20_000);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[], digits: number): string => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

const idp = await startOidcIssuer();
const verifier = createOidcVerifier({ issuer: idp.issuer, audience: idp.audience });
await verifier.verify(await idp.mint()); // discovery and JWKS, outside the measurements

console.log(`jwt verify, µs per op (median and range of ${ROUNDS} rounds; first: ${TOKENS} new tokens per round, cached: ${HITS} requests with the same token)`);
for (const alg of ['RS256', 'ES256'] satisfies IssuerAlg[]) {
  const first: number[] = [];
  const cached: number[] = [];
  // Round 0 warms up the JIT and is not counted.
  for (let round = 0; round <= ROUNDS; round++) {
    const tokens = await Promise.all(Array.from({ length: TOKENS }, (_, i) => idp.mint({ alg, claims: { jti: `${round}-${i}` } })));
    let start = performance.now();
    for (const token of tokens) await verifier.verify(token);
    if (round > 0) first.push(((performance.now() - start) * 1000) / TOKENS);

    // Each request brings its own copy of the header text, whose hash V8 has not computed yet.
    const copies = Array.from({ length: HITS }, () => Buffer.from(tokens[0]!).toString());
    start = performance.now();
    for (const copy of copies) await verifier.verify(copy);
    if (round > 0) cached.push(((performance.now() - start) * 1000) / HITS);
  }
  console.log(`${alg}  first verify ${median(first).toFixed(1).padStart(6)} µs (${range(first, 1)})   cached verify ${median(cached).toFixed(2).padStart(5)} µs (${range(cached, 2)})`);
}

verifier.close();
await idp.stop();
