/**
 * The dashboard's browser harness, shared by every `test/dashboard-*.test.ts`:
 * one `berth up` (with the examples) in a temp state folder and one headless
 * Debian Chromium (`/usr/bin/chromium`, driven by playwright-core) per file, a
 * page signed in with a token, waiting helpers, and screenshots.
 *
 * Chromium missing: {@link CHROMIUM_MISSING} says why and how to install it; test
 * files `describe.skipIf(CHROMIUM_MISSING)` and print it, so a skip is never silent.
 *
 * Screenshots go to a temp folder; with `BERTH_UPDATE_SCREENSHOTS=1` also to
 * `test/dashboard-screenshots/<view>.png`, which the README embeds.
 *
 * @example
 * const dash = await startDashboard('fleet');
 * const page = await dash.signedInPage();
 * await waitForText(page, 'Fleet');
 * await dash.close();
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { killLeftovers, REPO, startBerthUp, type BerthUp } from '../e2e-harness.ts';
import { tempDir } from './temp-dir.ts';

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export const CHROMIUM_MISSING: string | undefined = existsSync(CHROMIUM_PATH)
  ? undefined
  : `the dashboard browser tests need Chromium at ${CHROMIUM_PATH} (Debian: \`apt-get install chromium\`; .ci/run installs it); skipped`;

/** Screenshots written by this run (always) and, with BERTH_UPDATE_SCREENSHOTS=1, to the README's folder. */
let screenshotDir: string | undefined;
const README_SCREENSHOTS = join(REPO, 'test/dashboard-screenshots');

/** One started system and browser for a test file. */
export interface DashboardHarness {
  up: BerthUp;
  browser: Browser;
  /** `<registry>/ui/`. */
  dashboardUrl: string;
  /** A fresh context (own cookies) at 1280×800 with a page open at the dashboard, not signed in. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /** {@link newPage}, signed in with `token` (default: the admin token) through the sign-in form. */
  signedInPage(token?: string): Promise<Page>;
  /** Saves a PNG of the page as `<view>.png` (see the module comment); returns its path. */
  screenshot(page: Page, view: string): Promise<string>;
  /** Closes the browser and stops `berth up` (and every process it started). */
  close(): Promise<void>;
}

/** Launches headless Debian Chromium (a test file's one browser). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/**
 * Starts `berth up` in a temp folder and launches Chromium.
 * @param name a short name for the temp folder
 */
export async function startDashboard(name: string, opts: { extraArgs?: string[] } = {}): Promise<DashboardHarness> {
  const tmp = tempDir(`dashboard-${name}`);
  const stateDir = join(tmp.dir, '.berth');
  const browser = await launchChromium();
  let up: BerthUp;
  try {
    up = await startBerthUp({ stateDir, ...(opts.extraArgs ? { extraArgs: opts.extraArgs } : {}) });
  } catch (err) {
    await browser.close();
    tmp.remove();
    throw err;
  }
  const dashboardUrl = `${up.registryUrl}/ui/`;
  const contexts: BrowserContext[] = [];
  const h: DashboardHarness = {
    up,
    browser,
    dashboardUrl,
    async newPage(viewport = { width: 1280, height: 800 }) {
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(dashboardUrl);
      return page;
    },
    async signedInPage(token = up.token) {
      const page = await h.newPage();
      await signInThroughForm(page, token);
      return page;
    },
    async screenshot(page, view) {
      screenshotDir ??= tempDir('dashboard-screens').dir;
      const path = join(screenshotDir, `${view}.png`);
      await page.screenshot({ path, fullPage: true });
      if (process.env.BERTH_UPDATE_SCREENSHOTS === '1') {
        mkdirSync(README_SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: join(README_SCREENSHOTS, `${view}.png`), fullPage: true });
      }
      return path;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await up.stop();
      await killLeftovers(stateDir);
      tmp.remove();
    },
  };
  return h;
}

/** Waits until `text` is visible on the page (`timeoutMs`, default 10 s). */
export async function waitForText(page: Page, text: string | RegExp, timeoutMs = 10_000): Promise<void> {
  await page.getByText(text).first().waitFor({ state: 'visible', timeout: timeoutMs });
}

/** How many pixels the page scrolls sideways (0 or less: it fits its window). */
export function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
}

/** One serious or critical accessibility finding, as axe-core reports it. */
export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  /** CSS selectors of the offending nodes (first few). */
  targets: string[];
}

let axeSource: string | undefined;

/**
 * Runs axe-core on the page as it is now and returns its serious and critical
 * violations. axe's source is evaluated through the DevTools protocol, which the
 * page's CSP does not govern, so the page keeps its real CSP.
 */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  axeSource ??= readFileSync(join(REPO, 'node_modules/axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const results = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const r = await axe.run('html', { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact ?? 'unknown', help: v.help, targets: v.nodes.slice(0, 3).map((n) => String(n.target[0])) }));
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Signs in on the sign-in page the browser shows, and waits for the app shell. */
export async function signInThroughForm(page: Page, token: string): Promise<void> {
  await page.getByLabel('Berth token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
