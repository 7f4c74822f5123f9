/**
 * The little of `oidc-provider` (a certified OpenID Provider, used by tests as
 * the organisation's identity provider) that the tests use; the package ships
 * no types of its own.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** An account as `findAccount` returns it. */
  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Record<string, unknown> | Promise<Record<string, unknown>>;
  }

  /** The provider's configuration (only what the tests set). */
  export interface Configuration {
    clients?: Array<Record<string, unknown>>;
    findAccount?: (ctx: unknown, id: string) => Account | undefined | Promise<Account | undefined>;
    claims?: Record<string, string[]>;
    scopes?: string[];
    features?: Record<string, unknown>;
    pkce?: { required?: () => boolean };
    jwks?: { keys: Array<Record<string, unknown>> };
    cookies?: { keys?: string[] };
    conformIdTokenClaims?: boolean;
    ttl?: Record<string, number>;
    [option: string]: unknown;
  }

  /** An OpenID Provider; `callback()` is its Node request handler. */
  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
