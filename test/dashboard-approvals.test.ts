/**
 * The Approvals view and the audit explorer in a real browser (headless Debian
 * Chromium over one `berth up` with the examples), issue 18's acceptance:
 *
 * - a publisher (a token made with `berth token create`) applies a server asking
 *   for approved-dev; it stays unapproved and stopped; an approver approves it in
 *   the page with a note and it starts; a later spec change shows as a field diff
 *   since that approval, and a rejection needs a note;
 * - an agent's `approval: required` call through the gateway (MCP SDK client) is
 *   held, shown with its recorded arguments, approved in the page, and the agent's
 *   retry succeeds; another is denied in the page with a note;
 * - the audit explorer filters to that call by agent and tool (the filters are in
 *   the link), shows its detail and exports it as CSV and JSON;
 * - a reader sees no decision buttons, and the API refuses the decision forced
 *   from the page with the cookie and the CSRF header (403).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, CallRecord, RecordPage } from '../src/client/wire.ts';
import { effectiveStageOf } from '../src/manifest/approval.ts';
import { berth, connectThroughGateway, firstText, fixtureManifest, getServer, isReady, waitReady } from './e2e-harness.ts';
import { axeViolations, CHROMIUM_MISSING, sidewaysOverflow, startDashboard, waitForText, type DashboardHarness } from './support/dashboard-browser.ts';
import { waitFor } from './support/wait.ts';

if (CHROMIUM_MISSING) console.warn(CHROMIUM_MISSING);

const API = '/apis/berth.dev/v1alpha1';
const SERVER = 'dash-approve';
const DISCOUNT = { quoteId: '', percent: 12, reason: 'multi-year commitment' };

describe.skipIf(CHROMIUM_MISSING !== undefined)('dashboard approvals and audit in Chromium', () => {
  let dash: DashboardHarness;
  let page: Page;
  const tokens = { publisher: '', approver: '', reader: '', agent: '' };
  let agent: Client;
  let approvalId = '';

  const as = (token: string) => ({ registryUrl: dash.up.registryUrl, token });
  const get = async <T,>(path: string): Promise<T> => {
    const res = await fetch(`${dash.up.registryUrl}${API}${path}`, { headers: { authorization: `Bearer ${dash.up.token}` } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  const applyAsPublisher = async (env: Record<string, string>) => {
    const file = join(dash.up.stateDir, `${SERVER}.yaml`);
    writeFileSync(file, fixtureManifest(SERVER, { env }));
    const applied = await berth(as(tokens.publisher), ['apply', '-f', file]);
    expect(applied.code, applied.stderr).toBe(0);
  };

  beforeAll(async () => {
    dash = await startDashboard('approvals');
    const make = async (args: string[]) => {
      const r = await berth(dash.up, ['token', 'create', ...args]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    [tokens.publisher, tokens.approver, tokens.reader, tokens.agent] = await Promise.all([
      make(['--role', 'publisher', '--team', 'platform']),
      make(['--role', 'approver']),
      make(['--role', 'reader']),
      make(['--role', 'agent', '--agent', 'deal-desk']),
    ]);
  });
  afterAll(async () => {
    await agent?.close().catch(() => undefined);
    await dash?.close();
  });

  it("a publisher's lifecycle request waits; an approver approves it in the page with a note and the server starts", async () => {
    await applyAsPublisher({ MODE: 'one' });
    page = await dash.signedInPage(tokens.approver);
    await page.getByRole('link', { name: 'Approvals' }).click();
    const card = page.locator(`[data-stage-request="${SERVER}"]`);
    await card.waitFor({ timeout: 5_000 });
    await card.getByText('No approval recorded yet').waitFor();
    // Unapproved: the publisher's request grants nothing, and the reconciler does not start it.
    const stored = (await getServer(dash.up, SERVER))!;
    expect(effectiveStageOf(stored, new Date()).missing?.stage).toBe('approved-dev');
    expect(isReady(stored)).toBe(false);

    await card.getByLabel(/^Note/).fill('looks fine for dev');
    await card.getByRole('button', { name: `Approve ${SERVER} for approved-dev` }).click();
    await card.waitFor({ state: 'detached', timeout: 5_000 });
    await waitReady(dash.up, SERVER, 15_000);
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page.locator(`tr[data-server="${SERVER}"] [data-phase="Ready"]`).waitFor({ timeout: 5_000 });
    await page.getByRole('link', { name: 'Approvals' }).click();
    const audit = await get<RecordPage<AuditEntry>>(`/audit?action=stage.approve&name=${SERVER}`);
    expect(audit.items[0]?.details).toMatchObject({ stage: 'approved-dev', note: 'looks fine for dev', role: 'approver' });
  });

  it('a spec change since the approval shows as a field diff, live', async () => {
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    await applyAsPublisher({ MODE: 'two' });
    const card = page.locator(`[data-stage-request="${SERVER}"]`);
    await card.waitFor({ timeout: 5_000 });
    await card.locator('tr[data-field="spec.runtime.env.MODE"]').waitFor({ timeout: 5_000 });
    await expect(card.textContent()).resolves.toContain('looks fine for dev');
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  });

  it('a held tool call shows with its arguments and is approved in the page; the agent retries and succeeds', async () => {
    agent = await connectThroughGateway(dash.up.gatewayUrl, '/mcp/quote', tokens.agent);
    const quote = JSON.parse(firstText(await agent.callTool({ name: 'createQuote', arguments: { accountName: 'Acme', lines: [{ sku: 'PLT-CORE', quantity: 1 }] } }))) as { quote: { id: string } };
    DISCOUNT.quoteId = quote.quote.id;
    const held = await agent.callTool({ name: 'applyDiscount', arguments: DISCOUNT }).then(
      () => 'not held',
      (err: unknown) => String(err),
    );
    approvalId = /apr_[0-9a-f]+/.exec(held)?.[0] ?? '';
    expect(approvalId, held).not.toBe('');

    const card = page.locator(`[data-approval="${approvalId}"]`);
    await card.waitFor({ timeout: 5_000 });
    await card.locator('pre.args').getByText('multi-year commitment').waitFor({ timeout: 5_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await card.locator('dd').allTextContents()).toEqual(expect.arrayContaining(['deal-desk', 'quote', 'applyDiscount']));

    // Both kinds of request are waiting now: the page as an approver sees it.
    expect(await axeViolations(page)).toEqual([]);
    await dash.screenshot(page, 'approvals');

    await card.getByLabel(/^Note/).fill('deal desk agreed');
    await card.getByRole('button', { name: 'Approve deal-desk calling quote/applyDiscount' }).click();
    await card.waitFor({ state: 'detached', timeout: 5_000 });
    await page.locator(`[data-approval-row="${approvalId}"]`).waitFor({ timeout: 5_000 });

    const retry = await agent.callTool({ name: 'applyDiscount', arguments: DISCOUNT });
    expect(retry.isError).not.toBe(true);
    expect(firstText(retry)).toContain('"discountPercent": 12');
  });

  it('a rejection needs a note; the rejected request stays listed with who rejected it', async () => {
    const card = page.locator(`[data-stage-request="${SERVER}"]`);
    const reject = card.getByRole('button', { name: `Reject ${SERVER} for approved-dev` });
    await reject.click();
    await card.getByRole('alert').getByText('needs a note').waitFor();
    await card.getByLabel(/^Note/).fill('MODE two is not reviewed');
    await reject.click();
    await card.getByText(/was rejected by tok_/).waitFor({ timeout: 5_000 });
    const audit = await get<RecordPage<AuditEntry>>(`/audit?action=stage.reject&name=${SERVER}`);
    expect(audit.items[0]?.details).toMatchObject({ note: 'MODE two is not reviewed' });

  });

  it('the audit explorer filters to the call by agent and tool, links the filter, shows the detail and exports CSV and JSON', async () => {
    // Both records (held, then allowed) are in the registry before the page asks.
    await waitFor('the call records', async () => (await get<RecordPage<CallRecord>>('/callrecords?agent=deal-desk&tool=applyDiscount')).items.length >= 2, 5_000);
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('Agent').fill('deal-desk');
    await page.getByLabel('Tool').fill('applyDiscount');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitForText(page, '2 call records matching the filters');
    expect(new URL(page.url()).hash).toBe('#/audit?view=calls&agent=deal-desk&tool=applyDiscount');
    const decisions = await page.locator('tbody [data-decision]').allTextContents();
    expect(decisions.sort()).toEqual(['allow', 'approval-required']);

    // The link reproduces the view; one with a page size of 1 pages with Load more.
    await page.reload();
    await waitForText(page, '2 call records matching the filters');
    await page.goto(`${dash.dashboardUrl}#/audit?view=calls&agent=deal-desk&tool=applyDiscount&limit=1`);
    await waitForText(page, '1 call record matching the filters loaded; older ones follow');
    await page.getByRole('button', { name: 'Load more' }).click();
    await waitForText(page, '2 call records matching the filters loaded; older ones follow');
    await page.getByRole('button', { name: 'Load more' }).click();
    await waitForText(page, /^2 call records matching the filters$/);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    const allowed = page.locator('tbody tr', { has: page.locator('[data-decision="allow"]') });
    await allowed.getByRole('button', { name: /^Show #/ }).click();
    const detail = page.getByTestId('record-detail');
    await expect(detail.locator('[data-field="approvalId"]').textContent()).resolves.toBe(approvalId);
    await expect(detail.getByTestId('detail-arguments').textContent()).resolves.toContain('multi-year commitment');
    expect(page.url()).toMatch(/&record=\d+$/);
    expect(await axeViolations(page)).toEqual([]);
    await dash.screenshot(page, 'audit');

    const save = async (button: string): Promise<string> => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
      return readFileSync((await download.path())!, 'utf8');
    };
    const csv = await save('Export CSV');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^"id","time","agent","user","server","tool",/);
    expect(lines).toHaveLength(3);
    expect(lines.find((l) => l.includes('"allow"'))).toContain(`"${approvalId}"`);
    expect(csv).toContain('"deal-desk","","quote","applyDiscount"');
    const json = JSON.parse(await save('Export JSON')) as CallRecord[];
    expect(json.map((r) => r.decision).sort()).toEqual(['allow', 'approval-required']);
    expect(json.find((r) => r.decision === 'allow')).toMatchObject({ agent: 'deal-desk', tool: 'applyDiscount', approvalId, arguments: DISCOUNT });

    // The change audit holds the page's decisions.
    await page.getByRole('link', { name: 'Changes' }).click();
    await page.getByLabel('Name (server, policy, approval id)').fill(SERVER);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator('tbody td', { hasText: 'stage.approve' }).waitFor();
    await page.locator('tbody td', { hasText: 'stage.reject' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    await page.getByRole('link', { name: 'Approvals' }).click();
    await page.locator(`[data-stage-request="${SERVER}"]`).waitFor();
    expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    expect(await axeViolations(page)).toEqual([]);
    await dash.screenshot(page, 'approvals-narrow');
  });

  it('a held call denied in the page is listed as decided with the note, and audited', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    const other = { ...DISCOUNT, percent: 40 };
    const held = await agent.callTool({ name: 'applyDiscount', arguments: other }).then(() => 'not held', (err: unknown) => String(err));
    const denyId = /apr_[0-9a-f]+/.exec(held)?.[0] ?? '';
    expect(denyId, held).not.toBe('');
    const heldCard = page.locator(`[data-approval="${denyId}"]`);
    await heldCard.getByLabel(/^Note/).fill('40% needs the CFO');
    await heldCard.getByRole('button', { name: 'Deny deal-desk calling quote/applyDiscount' }).click();
    await page.locator(`[data-approval-row="${denyId}"]`, { hasText: '40% needs the CFO' }).waitFor({ timeout: 5_000 });
    await heldCard.waitFor({ state: 'detached' });
    expect(await page.locator(`[data-approval-row="${denyId}"] td`).allTextContents()).toContain('denied');
    const denied = await get<RecordPage<AuditEntry>>(`/audit?action=approval.deny&name=${denyId}`);
    expect(denied.items[0]?.details).toMatchObject({ agent: 'deal-desk', tool: 'applyDiscount', status: 'denied', reason: '40% needs the CFO' });
  });

  it('a reader sees no decision buttons, and the API refuses the decision forced from the page (403)', async () => {
    const reader = await dash.signedInPage(tokens.reader);
    await reader.getByRole('link', { name: 'Approvals' }).click();
    await reader.locator(`[data-stage-request="${SERVER}"]`).waitFor({ timeout: 5_000 });
    await reader.getByTestId('read-only').waitFor();
    await reader.locator(`[data-approval-row="${approvalId}"]`).waitFor({ timeout: 5_000 });
    expect(await reader.getByRole('button', { name: /^(Approve|Reject|Deny)\b/ }).count()).toBe(0);
    const statuses = await reader.evaluate(
      async ({ api, server, id }) => {
        const { csrfToken } = (await (await fetch('/ui/session')).json()) as { csrfToken: string };
        const post = async (path: string, body: unknown) =>
          (await fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-berth-csrf': csrfToken }, body: JSON.stringify(body) })).status;
        return [await post(`/mcpservers/${server}/approvals`, { stage: 'approved-dev', decision: 'approved' }), await post(`/approvals/${id}/approve`, {})];
      },
      { api: API, server: SERVER, id: approvalId },
    );
    expect(statuses).toEqual([403, 403]);
    expect(await axeViolations(reader)).toEqual([]);
  });

  it('a publisher sees its request read-only, is told why held calls are not shown, and reads only the change audit', async () => {
    const publisher = await dash.signedInPage(tokens.publisher);
    await publisher.getByRole('link', { name: 'Approvals' }).click();
    await publisher.locator(`[data-stage-request="${SERVER}"]`).waitFor({ timeout: 5_000 });
    await expect(publisher.getByTestId('read-only').textContent()).resolves.toContain('even for its own team');
    await waitForText(publisher, 'Held tool calls name agents, users and arguments');
    expect(await publisher.getByRole('button', { name: /^(Approve|Reject|Deny)\b/ }).count()).toBe(0);
    await publisher.getByRole('link', { name: 'Audit' }).click();
    await publisher.locator('tbody tr').first().waitFor({ timeout: 5_000 });
    expect(await publisher.getByRole('link', { name: 'Tool calls' }).count()).toBe(0);
    expect(await axeViolations(publisher)).toEqual([]);
  });
});
