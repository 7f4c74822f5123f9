/**
 * The fleet in a real browser (headless Debian Chromium over `berth up`): a
 * missing session shows the sign-in page; signing in with the admin token shows
 * the example servers Ready; a manifest applied with `berth apply` (a child
 * process) appears in the open page without a reload.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berth, fixtureManifest, isReady, listServers } from './e2e-harness.ts';
import { axeViolations, CHROMIUM_MISSING, sidewaysOverflow, signInThroughForm, startDashboard, waitForText, type DashboardHarness } from './support/dashboard-browser.ts';
import { waitFor } from './support/wait.ts';

if (CHROMIUM_MISSING) console.warn(CHROMIUM_MISSING);

describe.skipIf(CHROMIUM_MISSING !== undefined)('dashboard fleet in Chromium', () => {
  let dash: DashboardHarness;
  let page: Page;

  beforeAll(async () => {
    dash = await startDashboard('fleet');
  });
  afterAll(async () => {
    await dash?.close();
  });

  it('shows the sign-in page without a session, and the API refuses the page', async () => {
    const anonymous = await dash.newPage();
    await waitForText(anonymous, 'Sign in to Berth');
    expect(await anonymous.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await axeViolations(anonymous)).toEqual([]);
    await dash.screenshot(anonymous, 'sign-in');
    const status = await anonymous.evaluate(async () => (await fetch('/apis/berth.dev/v1alpha1/mcpservers')).status);
    expect(status).toBe(401);
  });

  it('signs in with the admin token and shows the example servers Ready', async () => {
    expect(dash.up.lines.some((l) => l.includes(`dashboard   ${dash.dashboardUrl}`))).toBe(true);
    page = await dash.signedInPage();
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toContain('admin');
    const examples = await waitFor('the examples Ready', async () => {
      const servers = await listServers(dash.up);
      return servers.length > 0 && servers.every(isReady) ? servers : false;
    }, 20_000);
    for (const s of examples) {
      await page.locator(`tr[data-server="${s.metadata.name}"] [data-phase="Ready"]`).waitFor({ timeout: 5_000 });
    }
    const names = await page.locator('tbody tr th a').allTextContents();
    expect(names.sort()).toEqual(examples.map((s) => s.metadata.name).sort());
    await expect(page.getByTestId('live').textContent()).resolves.toBe('Live');
    expect(await axeViolations(page)).toEqual([]);
    await dash.screenshot(page, 'fleet');
  });

  it('shows a manifest applied through the CLI live, without a reload', async () => {
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    const file = join(dash.up.stateDir, 'dash-live.yaml');
    writeFileSync(file, fixtureManifest('dash-live', { lifecycle: 'draft' }));
    const applied = await berth(dash.up, ['apply', '-f', file]);
    expect(applied.code, applied.stderr).toBe(0);
    const written = performance.now();
    await page.locator('tr[data-server="dash-live"]').waitFor({ timeout: 5_000 });
    const shownMs = performance.now() - written;
    console.log(`registry write → row in the page: ${Math.round(shownMs)} ms (measured after the CLI exited)`);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // A write straight to the registry API, timed until the row shows.
    const manifest = { apiVersion: 'berth.dev/v1alpha1', kind: 'MCPServer', metadata: { name: 'dash-timed' }, spec: { owner: { team: 'platform' }, environment: 'dev', lifecycle: 'draft', risk: 'low', dataClassification: 'internal', remote: { url: 'https://mcp.example.com/mcp', transport: 'streamable-http' } } };
    const before = performance.now();
    const res = await fetch(`${dash.up.registryUrl}/apis/berth.dev/v1alpha1/mcpservers`, { method: 'POST', headers: { authorization: `Bearer ${dash.up.token}`, 'content-type': 'application/json' }, body: JSON.stringify(manifest) });
    expect(res.status, await res.clone().text()).toBe(201);
    await page.locator('tr[data-server="dash-timed"]').waitFor({ timeout: 5_000 });
    const writeToPageMs = performance.now() - before;
    console.log(`registry write (POST) → row in the page: ${Math.round(writeToPageMs)} ms`);
    // The link leads to the server's page.
    await page.locator('tr[data-server="dash-live"] th a').click();
    expect(page.url()).toMatch(/#\/servers\/dash-live$/);
  });

  it('fits a 390 px wide window: the page never scrolls sideways, the table scrolls inside its frame', async () => {
    const narrow = await dash.newPage({ width: 390, height: 844 });
    await signInThroughForm(narrow, dash.up.token);
    await narrow.locator('tbody tr').first().waitFor();
    expect(await sidewaysOverflow(narrow)).toBeLessThanOrEqual(0);
    expect(await axeViolations(narrow)).toEqual([]);
    await dash.screenshot(narrow, 'fleet-narrow');
  });

  it('signs out from the header: the page shows the sign-in form and no longer reads the API', async () => {
    const other = await dash.signedInPage();
    await other.getByRole('button', { name: 'Sign out' }).click();
    await waitForText(other, 'Sign in to Berth');
    const status = await other.evaluate(async () => (await fetch('/apis/berth.dev/v1alpha1/mcpservers')).status);
    expect(status).toBe(401);
  });
});
