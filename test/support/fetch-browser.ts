/**
 * A browser made of `fetch` and a cookie jar, for redirect flows that need no
 * rendering (OIDC sign-in): it keeps cookies as a browser does (by host — not
 * port — and path; HttpOnly and SameSite are the browser's business and
 * ignored here), follows redirects by hand, and submits the single form of an
 * HTML page (the identity provider's login and consent pages) with given fields.
 *
 * @example
 * const browser = new FetchBrowser();
 * const callback = await browser.follow(`${registry}/ui/oidc/login`, { stopAt: (url) => url.pathname === '/ui/oidc/callback', fields: { login: 'alice', password: 'x' } });
 * const res = await browser.get(callback.href); // the registry's answer to the callback
 */

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
}

/** What {@link FetchBrowser.follow} does on the way. */
export interface FollowOptions {
  /** Stop before requesting a URL this accepts; it is returned. */
  stopAt: (url: URL) => boolean;
  /** Values for the inputs of forms met on the way (hidden inputs keep their own). */
  fields?: Record<string, string>;
  /** Most requests before giving up. Default 20. */
  maxSteps?: number;
}

/** A cookie-keeping fetch client. */
export class FetchBrowser {
  readonly #cookies: StoredCookie[] = [];

  /** The cookie `name` this browser would send to `url`, if any. */
  cookie(url: string, name: string): string | undefined {
    return this.#matching(new URL(url)).find((c) => c.name === name)?.value;
  }

  /** Sets or replaces a cookie by hand (a test tampering with one). */
  setCookie(url: string, name: string, value: string, path = '/'): void {
    this.#store({ name, value, host: new URL(url).hostname, path });
  }

  /** Forgets the cookie `name` of every path on `url`'s host. */
  dropCookie(url: string, name: string): void {
    const host = new URL(url).hostname;
    for (let i = this.#cookies.length - 1; i >= 0; i--) if (this.#cookies[i]!.host === host && this.#cookies[i]!.name === name) this.#cookies.splice(i, 1);
  }

  /** One request with this browser's cookies; keeps the cookies the answer sets; never follows redirects. */
  async request(url: string, init: { method?: string; body?: URLSearchParams } = {}): Promise<Response> {
    const target = new URL(url);
    const cookie = this.#matching(target).map((c) => `${c.name}=${c.value}`).join('; ');
    const res = await fetch(target, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: { accept: 'text/html,application/json', ...(cookie !== '' ? { cookie } : {}) },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    for (const header of res.headers.getSetCookie()) this.#receive(target, header);
    return res;
  }

  /** GET with cookies. */
  get(url: string): Promise<Response> {
    return this.request(url);
  }

  /**
   * From `url`, follows redirects and submits forms until the next URL is one
   * `stopAt` accepts, and returns it (not requested).
   * @throws Error when a page is neither a redirect nor a form, or after `maxSteps`
   */
  async follow(url: string, opts: FollowOptions): Promise<URL> {
    let next: { url: URL; body?: URLSearchParams } = { url: new URL(url) };
    for (let step = 0; step < (opts.maxSteps ?? 20); step++) {
      if (opts.stopAt(next.url)) return next.url;
      const res = await this.request(next.url.href, next.body !== undefined ? { method: 'POST', body: next.body } : {});
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location !== null) {
        await res.body?.cancel();
        next = { url: new URL(location, next.url) };
        continue;
      }
      const page = await res.text();
      const form = formOf(page, next.url, opts.fields ?? {});
      if (form === undefined) throw new Error(`${next.url.href} answered ${res.status} without a redirect or a form: ${page.slice(0, 300)}`);
      next = form;
    }
    throw new Error(`no stop after ${opts.maxSteps ?? 20} steps (last ${next.url.href})`);
  }

  #matching(url: URL): StoredCookie[] {
    return this.#cookies.filter((c) => c.host === url.hostname && (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)));
  }

  #receive(from: URL, header: string): void {
    const [pair = '', ...attrs] = header.split(';').map((p) => p.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const attr = (n: string): string | undefined => attrs.find((a) => a.toLowerCase().startsWith(`${n}=`))?.slice(n.length + 1);
    const path = attr('path') ?? from.pathname.replace(/\/[^/]*$/, '/');
    const maxAge = attr('max-age');
    const expires = attr('expires');
    const gone = (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) <= Date.now());
    this.#remove(from.hostname, name, path);
    if (!gone) this.#cookies.push({ name, value, host: from.hostname, path });
  }

  #store(cookie: StoredCookie): void {
    this.#remove(cookie.host, cookie.name, cookie.path);
    this.#cookies.push(cookie);
  }

  #remove(host: string, name: string, path: string): void {
    const i = this.#cookies.findIndex((c) => c.host === host && c.name === name && c.path === path);
    if (i >= 0) this.#cookies.splice(i, 1);
  }
}

/** The page's one form as the next request: its action and its inputs, `fields` filling those without a value. */
function formOf(page: string, base: URL, fields: Record<string, string>): { url: URL; body: URLSearchParams } | undefined {
  const form = /<form\b[^>]*\baction="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(page);
  if (form === null) return undefined;
  const body = new URLSearchParams();
  for (const input of form[2]!.matchAll(/<input\b([^>]*)>/gi)) {
    const name = /\bname="([^"]*)"/.exec(input[1]!)?.[1];
    if (name === undefined) continue;
    const value = /\bvalue="([^"]*)"/.exec(input[1]!)?.[1];
    body.set(name, value ?? fields[name] ?? '');
  }
  return { url: new URL(decodeEntities(form[1]!), base), body };
}

function decodeEntities(text: string): string {
  return text.replace(/&amp;/g, '&').replace(/&#x2F;/gi, '/').replace(/&#47;/g, '/');
}
