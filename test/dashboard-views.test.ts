/**
 * The server and agents views in a real browser (headless Debian Chromium over
 * `berth up` with the examples): the quote server's page shows Ready with its
 * reason, its tools and scopes, the policy matrix cell of the examples' agent
 * (sales-copilot) with its decision and reason, and its log lines; tool calls
 * made through the gateway with the MCP SDK as that agent (one denied) show in
 * the calls chart's data table; the Agents view lists the agent with its servers
 * and tools; both views pass axe at 1280×800 and 390 px, with no CSP violation.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { berth, callThroughGateway, fixtureManifest, isReady, listServers } from './e2e-harness.ts';
import { axeViolations, CHROMIUM_MISSING, sidewaysOverflow, signInThroughForm, startDashboard, waitForText, type DashboardHarness } from './support/dashboard-browser.ts';
import { waitFor } from './support/wait.ts';

if (CHROMIUM_MISSING) console.warn(CHROMIUM_MISSING);

/** Console messages of a page that report a Content-Security-Policy violation. */
function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (apply|load|execute)/i.test(m.text())) seen.push(m.text());
  });
  return seen;
}

/** The sum of one column of a chart's data table (`data-series` cells). */
async function columnSum(page: Page, chart: string, series: string): Promise<number> {
  const cells = await page.locator(`[data-chart="${chart}"] td[data-series="${series}"]`).allTextContents();
  return cells.reduce((n, t) => n + (Number(t) || 0), 0);
}

describe.skipIf(CHROMIUM_MISSING !== undefined)('dashboard server and agents views in Chromium', () => {
  let dash: DashboardHarness;
  let agentKey: string;

  beforeAll(async () => {
    dash = await startDashboard('views');
    agentKey = readFileSync(join(dash.up.stateDir, 'agent-key'), 'utf8').trim();
    await waitFor('the examples Ready', async () => {
      const servers = await listServers(dash.up);
      return servers.length > 0 && servers.every(isReady);
    }, 20_000);
  });
  afterAll(async () => {
    await dash?.close();
  });

  it("shows the quote server: Ready with its reason, tools and scopes, the agent's matrix cell with its reason, log lines", async () => {
    const page = await dash.newPage();
    const csp = cspViolations(page);
    await signInThroughForm(page, dash.up.token);
    await page.goto(`${dash.dashboardUrl}#/servers/quote`);
    await page.locator('li[data-condition="Ready"]', { hasText: 'Ready: True' }).waitFor();
    expect(await page.locator('li[data-condition="Ready"] .reason').textContent()).toBeTruthy();
    expect(await page.getByTestId('server-phase').textContent()).toBe('Ready');
    const tool = page.locator('tr[data-tool="applyDiscount"]');
    await expect(tool.textContent()).resolves.toContain('discount.approve');
    await expect(tool.textContent()).resolves.toContain('every call needs a human approval');
    // The examples' agent: may search products, may not approve discounts (its policy denies the scope).
    const row = page.locator('tr[data-agent="sales-copilot"]');
    await row.waitFor();
    await expect(row.locator('td[data-tool="searchProducts"]').getAttribute('data-decision')).resolves.toBe('allow');
    const denied = row.locator('td[data-tool="applyDiscount"] button');
    expect(await denied.textContent()).toMatch(/^Deny for sales-copilot calling applyDiscount: .*discount\.approve/);
    await denied.click();
    await expect(page.getByTestId('matrix-detail').textContent()).resolves.toMatch(/sales-copilot calling applyDiscount: Deny/);
    await page.getByTestId('log-lines').locator('li').first().waitFor();
    expect(await page.getByTestId('log-lines').locator('li time').first().getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    await page.locator('[data-runtime="pid"]').waitFor();
    expect(csp).toEqual([]);
    // The detector itself: an inline <style> (what a chart library must not inject) is reported.
    await page.evaluate(() => {
      const d = (globalThis as unknown as { document: { createElement(t: string): { textContent: string }; head: { append(n: unknown): void } } }).document;
      const style = d.createElement('style');
      style.textContent = 'body { color: red }';
      d.head.append(style);
    });
    await waitFor('the canary reported', () => csp.length === 1, 2_000);
  });

  it("counts the agent's calls through the gateway, a denied one too, in the calls chart's data table", async () => {
    const ok = await callThroughGateway(dash.up.gatewayUrl, '/mcp/quote', 'searchProducts', { query: 'core' }, agentKey);
    expect(ok.isError).toBe(false);
    await callThroughGateway(dash.up.gatewayUrl, '/mcp/quote', 'searchProducts', { query: '' }, agentKey);
    const refused = await callThroughGateway(dash.up.gatewayUrl, '/mcp/quote', 'applyDiscount', { quoteId: 'Q-00001', line: 1, percent: 5, reason: 'test' }, agentKey).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(String(refused)).toMatch(/discount\.approve|denied|not allowed/i);

    const page = await dash.newPage();
    const csp = cspViolations(page);
    await signInThroughForm(page, dash.up.token);
    await page.goto(`${dash.dashboardUrl}#/servers/quote`);
    // The records reach the registry in the gateway's next batch; the chart reads every 15 s, so reload until they are in.
    await waitFor('the calls in the chart', async () => {
      await page.reload();
      await page.locator('[data-chart="server-calls"]').waitFor();
      return (await columnSum(page, 'server-calls', 'Denied')) >= 1 && (await columnSum(page, 'server-calls', 'Calls')) >= 3;
    }, 8_000);
    await expect(page.getByTestId('server-calls-summary').textContent()).resolves.toMatch(/\d+ calls: \d+ allowed, [1-9]\d* denied/);
    expect(await page.locator('[data-chart="server-latency"] td[data-series="p50"]').count()).toBeGreaterThan(0);
    await page.locator('tr[data-decision="deny"]').first().waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await dash.screenshot(page, 'server');
    // Pointing at the newest bucket reads its values out under the chart.
    const over = page.locator('[data-chart="server-calls"] .u-over');
    const box = (await over.boundingBox())!;
    await over.hover({ position: { x: box.width - 2, y: box.height / 2 } });
    expect(await page.locator('[data-chart="server-calls"] .chart-readout').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d: Calls \d+, Denied \d+/);
    // The 24-hour window: buckets of 15 minutes, the same calls in them.
    const calls = await columnSum(page, 'server-calls', 'Calls');
    await page.getByLabel('Window').selectOption('24h');
    await waitForText(page, 'Calls and denials, per 15 minutes');
    await waitFor('the 24-hour table', async () => (await columnSum(page, 'server-calls', 'Calls')) >= calls, 5_000);
    await page.getByLabel('Window').selectOption('1h');
    // "Show as table" swaps the canvas for the numbers.
    await page.locator('[data-chart="server-calls"] button', { hasText: 'Show as table' }).click();
    expect(await page.locator('#server-calls-table').isVisible()).toBe(true);
    expect(csp).toEqual([]);
  });

  it('lists the agent with its servers and tools; the search box narrows the list', async () => {
    const page = await dash.newPage();
    const csp = cspViolations(page);
    await signInThroughForm(page, dash.up.token);
    await page.goto(`${dash.dashboardUrl}#/agents`);
    const row = page.locator('tr[data-agent="sales-copilot"]');
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('quote');
    await row.getByRole('button', { name: 'sales-copilot' }).click();
    const detail = page.getByTestId('agent-detail');
    await detail.locator('li[data-server="quote"] li[data-tool="searchProducts"][data-decision="allow"]').waitFor();
    const discount = detail.locator('li[data-server="quote"] li[data-tool="applyDiscount"]');
    await expect(discount.getAttribute('data-decision')).resolves.toBe('deny');
    expect(await discount.textContent()).toMatch(/discount\.approve/);
    // The server it may not use, with the reason.
    expect(await detail.locator('.unusable li[data-server="everything"]').textContent()).toMatch(/everything: .*sales-copilot/);
    expect(await axeViolations(page)).toEqual([]);
    await dash.screenshot(page, 'agents');
    await page.getByLabel('Search').fill('copilot');
    await expect(page.getByTestId('agents-summary').textContent()).resolves.toMatch(/^1 of \d+ agents shown$/);
    await page.getByLabel('Search').fill('no-such-agent');
    await expect(page.getByTestId('agents-summary').textContent()).resolves.toMatch(/^0 of \d+ agents shown$/);
    expect(csp).toEqual([]);
  });

  it('follows the server live: a draft says why it is not deployed, a change to its manifest shows without a reload, its deletion is said', async () => {
    const file = join(dash.up.stateDir, 'dash-draft.yaml');
    writeFileSync(file, fixtureManifest('dash-draft', { lifecycle: 'draft' }));
    expect((await berth(dash.up, ['apply', '-f', file])).code).toBe(0);
    const page = await dash.signedInPage();
    await page.goto(`${dash.dashboardUrl}#/servers/dash-draft`);
    await page.locator('li[data-condition="Approved"]', { hasText: 'LifecycleDraft' }).waitFor();
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    writeFileSync(file, fixtureManifest('dash-draft', { lifecycle: 'draft' }).replace('platform@acme.example', 'oncall@acme.example'));
    expect((await berth(dash.up, ['apply', '-f', file])).code).toBe(0);
    await waitForText(page, 'oncall@acme.example', 5_000);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // Deleted while open: the page says so.
    expect((await berth(dash.up, ['delete', 'mcpserver', 'dash-draft'])).code).toBe(0);
    await waitForText(page, 'No server named dash-draft: it may have been deleted.', 5_000);
  });

  it("shows a publisher of another team no logs or call statistics, saying why, and the API refuses them if forced", async () => {
    const admin = new HttpRegistryClient({ baseUrl: dash.up.registryUrl, token: dash.up.token });
    const { token } = await admin.createToken({ role: 'publisher', team: 'platform' });
    const page = await dash.newPage();
    await signInThroughForm(page, token);
    await page.goto(`${dash.dashboardUrl}#/servers/quote`);
    await waitForText(page, /output is read by its owner team's publishers \(team deal-desk\).*you are publisher of team platform/);
    await waitForText(page, 'Call statistics are read with an admin, approver or reader token (you are publisher).');
    expect(await page.getByTestId('log-lines').count()).toBe(0);
    // The reconcile chart is every person's; the matrix too.
    await page.locator('[data-chart="server-reconcile"]').waitFor();
    await page.locator('tr[data-agent="sales-copilot"]').waitFor();
    const forced = await page.evaluate(async () => {
      const logs = await fetch('/apis/berth.dev/v1alpha1/mcpservers/quote/logs?tail=10');
      const stats = await fetch(`/apis/berth.dev/v1alpha1/stats/calls?since=${new Date(Date.now() - 3_600_000).toISOString()}`);
      return [logs.status, stats.status];
    });
    expect(forced).toEqual([403, 403]);
  });

  it('fits a 390 px window on both views (no sideways scroll, axe clean)', async () => {
    const page = await dash.newPage({ width: 390, height: 844 });
    await signInThroughForm(page, dash.up.token);
    await page.goto(`${dash.dashboardUrl}#/servers/quote`);
    await page.locator('tr[data-agent="sales-copilot"]').waitFor();
    await page.locator('[data-chart="server-calls"]').waitFor();
    expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.goto(`${dash.dashboardUrl}#/agents`);
    await page.getByTestId('agent-detail').locator('li[data-server]').first().waitFor();
    expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    expect(await axeViolations(page)).toEqual([]);
  });
});
