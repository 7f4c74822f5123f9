/**
 * Salesforce Opportunity MCP server (example): search opportunities, move one to
 * another stage, read an account. Streamable HTTP at `/mcp`, health at `/healthz`.
 *
 * Self-contained: the org is an in-memory sample shaped like Salesforce's
 * Opportunity and Account objects, so it runs anywhere without credentials.
 * Stage changes last for the life of the process and are shared by all sessions.
 *
 * Run: `node_modules/.bin/node examples/servers/salesforce-opportunity/server.ts`
 * Env: PORT (default 8080; 0 = any free port, printed on stderr), HOST (default 127.0.0.1).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod/v4';
import { runHttpServerMain } from '../shared/http-host.ts';
import { jsonResult, toolError } from '../shared/results.ts';

/** Salesforce's standard opportunity stages, in pipeline order, with their default probability. */
export const OPPORTUNITY_STAGES = [
  'Prospecting',
  'Qualification',
  'Needs Analysis',
  'Value Proposition',
  'Id. Decision Makers',
  'Perception Analysis',
  'Proposal/Price Quote',
  'Negotiation/Review',
  'Closed Won',
  'Closed Lost',
] as const;
/** One of {@link OPPORTUNITY_STAGES}. */
export type OpportunityStage = (typeof OPPORTUNITY_STAGES)[number];

const STAGE_PROBABILITY: Record<OpportunityStage, number> = {
  Prospecting: 10,
  Qualification: 10,
  'Needs Analysis': 20,
  'Value Proposition': 50,
  'Id. Decision Makers': 60,
  'Perception Analysis': 70,
  'Proposal/Price Quote': 75,
  'Negotiation/Review': 90,
  'Closed Won': 100,
  'Closed Lost': 0,
};

/** An Opportunity record (the fields the tools expose). */
export interface Opportunity {
  Id: string;
  Name: string;
  AccountId: string;
  StageName: OpportunityStage;
  Amount: number;
  CurrencyIsoCode: string;
  CloseDate: string;
  Probability: number;
  OwnerName: string;
  Type: 'New Business' | 'Existing Business - Upgrade' | 'Existing Business - Renewal';
  LastModifiedDate: string;
}

/** An Account record (the fields the tools expose). */
export interface Account {
  Id: string;
  Name: string;
  Industry: string;
  Type: 'Customer' | 'Prospect' | 'Partner';
  BillingCity: string;
  BillingCountry: string;
  AnnualRevenue: number;
  NumberOfEmployees: number;
  OwnerName: string;
  Website: string;
}

const ACCOUNTS: Account[] = [
  { Id: '001Dn00000AcmeQAA', Name: 'Acme Logistics GmbH', Industry: 'Transportation', Type: 'Customer', BillingCity: 'Hamburg', BillingCountry: 'Germany', AnnualRevenue: 412_000_000, NumberOfEmployees: 2300, OwnerName: 'Lena Vogel', Website: 'https://acme-logistics.example' },
  { Id: '001Dn00000GlobxQAA', Name: 'Globex Retail Inc.', Industry: 'Retail', Type: 'Customer', BillingCity: 'Chicago', BillingCountry: 'United States', AnnualRevenue: 1_250_000_000, NumberOfEmployees: 9800, OwnerName: 'Marcus Reed', Website: 'https://globex-retail.example' },
  { Id: '001Dn00000InitcQAA', Name: 'Initech Software', Industry: 'Technology', Type: 'Prospect', BillingCity: 'Austin', BillingCountry: 'United States', AnnualRevenue: 87_000_000, NumberOfEmployees: 540, OwnerName: 'Priya Natarajan', Website: 'https://initech.example' },
  { Id: '001Dn00000UmbrlQAA', Name: 'Umbrella Health Systems', Industry: 'Healthcare', Type: 'Customer', BillingCity: 'Leeds', BillingCountry: 'United Kingdom', AnnualRevenue: 655_000_000, NumberOfEmployees: 6100, OwnerName: 'Lena Vogel', Website: 'https://umbrella-health.example' },
  { Id: '001Dn00000StarkQAA', Name: 'Stark Components SA', Industry: 'Manufacturing', Type: 'Prospect', BillingCity: 'Lyon', BillingCountry: 'France', AnnualRevenue: 230_000_000, NumberOfEmployees: 1400, OwnerName: 'Marcus Reed', Website: 'https://stark-components.example' },
  { Id: '001Dn00000WayneQAA', Name: 'Wayne Financial Partners', Industry: 'Financial Services', Type: 'Partner', BillingCity: 'Toronto', BillingCountry: 'Canada', AnnualRevenue: 980_000_000, NumberOfEmployees: 3900, OwnerName: 'Priya Natarajan', Website: 'https://wayne-financial.example' },
];

function opp(
  Id: string, Name: string, AccountId: string, StageName: OpportunityStage, Amount: number,
  CloseDate: string, OwnerName: string, Type: Opportunity['Type'],
): Opportunity {
  return { Id, Name, AccountId, StageName, Amount, CurrencyIsoCode: 'USD', CloseDate, Probability: STAGE_PROBABILITY[StageName], OwnerName, Type, LastModifiedDate: '2026-05-04T09:12:00.000Z' };
}

const OPPORTUNITIES: Opportunity[] = [
  opp('006Dn00000Op1AAA', 'Acme Logistics - Fleet Analytics Expansion', '001Dn00000AcmeQAA', 'Negotiation/Review', 184_000, '2026-06-30', 'Lena Vogel', 'Existing Business - Upgrade'),
  opp('006Dn00000Op2AAA', 'Acme Logistics - 2026 Renewal', '001Dn00000AcmeQAA', 'Proposal/Price Quote', 96_500, '2026-07-15', 'Lena Vogel', 'Existing Business - Renewal'),
  opp('006Dn00000Op3AAA', 'Globex Retail - Store Ops Platform', '001Dn00000GlobxQAA', 'Value Proposition', 540_000, '2026-09-30', 'Marcus Reed', 'New Business'),
  opp('006Dn00000Op4AAA', 'Globex Retail - Loyalty Data Add-on', '001Dn00000GlobxQAA', 'Closed Won', 72_000, '2026-03-31', 'Marcus Reed', 'Existing Business - Upgrade'),
  opp('006Dn00000Op5AAA', 'Initech - Platform Pilot', '001Dn00000InitcQAA', 'Qualification', 38_000, '2026-08-29', 'Priya Natarajan', 'New Business'),
  opp('006Dn00000Op6AAA', 'Umbrella Health - Clinical Scheduling', '001Dn00000UmbrlQAA', 'Id. Decision Makers', 310_000, '2026-10-31', 'Lena Vogel', 'New Business'),
  opp('006Dn00000Op7AAA', 'Umbrella Health - Support Renewal', '001Dn00000UmbrlQAA', 'Closed Lost', 45_000, '2026-02-28', 'Lena Vogel', 'Existing Business - Renewal'),
  opp('006Dn00000Op8AAA', 'Stark Components - Plant Connectivity', '001Dn00000StarkQAA', 'Prospecting', 265_000, '2026-12-15', 'Marcus Reed', 'New Business'),
  opp('006Dn00000Op9AAA', 'Stark Components - Quality Analytics', '001Dn00000StarkQAA', 'Needs Analysis', 120_000, '2026-11-30', 'Marcus Reed', 'New Business'),
  opp('006Dn00000OpAAAA', 'Wayne Financial - Partner Referral Program', '001Dn00000WayneQAA', 'Perception Analysis', 150_000, '2026-09-15', 'Priya Natarajan', 'New Business'),
  opp('006Dn00000OpBAAA', 'Wayne Financial - Risk Reporting Upgrade', '001Dn00000WayneQAA', 'Proposal/Price Quote', 228_000, '2026-07-31', 'Priya Natarajan', 'Existing Business - Upgrade'),
  opp('006Dn00000OpCAAA', 'Globex Retail - EU Rollout', '001Dn00000GlobxQAA', 'Needs Analysis', 410_000, '2027-01-31', 'Marcus Reed', 'Existing Business - Upgrade'),
];

/** The sample org: accounts and opportunities, mutable through {@link SalesforceOrg.updateStage}. */
export class SalesforceOrg {
  readonly #accounts: Map<string, Account>;
  readonly #opportunities: Map<string, Opportunity>;
  readonly #now: () => Date;

  /** @param now clock used to stamp LastModifiedDate */
  constructor(now: () => Date = () => new Date()) {
    this.#accounts = new Map(ACCOUNTS.map((a) => [a.Id, { ...a }]));
    this.#opportunities = new Map(OPPORTUNITIES.map((o) => [o.Id, { ...o }]));
    this.#now = now;
  }

  /** Opportunities whose name or account name contains `query` (case-insensitive), newest close date last. */
  search(query: string, stage: OpportunityStage | undefined, limit: number): { totalSize: number; records: Array<Opportunity & { AccountName: string }> } {
    const q = query.trim().toLowerCase();
    const matches = [...this.#opportunities.values()]
      .map((o) => ({ ...o, AccountName: this.#accounts.get(o.AccountId)?.Name ?? '' }))
      .filter((o) => (q === '' || o.Name.toLowerCase().includes(q) || o.AccountName.toLowerCase().includes(q)))
      .filter((o) => stage === undefined || o.StageName === stage)
      .sort((a, b) => a.CloseDate.localeCompare(b.CloseDate));
    return { totalSize: matches.length, records: matches.slice(0, limit) };
  }

  /** Moves an opportunity to `stage`; returns the stage before and after, or undefined when there is no such id. */
  updateStage(id: string, stage: OpportunityStage): { previousStage: OpportunityStage; opportunity: Opportunity } | undefined {
    const current = this.#opportunities.get(id);
    if (!current) return undefined;
    const updated: Opportunity = { ...current, StageName: stage, Probability: STAGE_PROBABILITY[stage], LastModifiedDate: this.#now().toISOString() };
    this.#opportunities.set(id, updated);
    return { previousStage: current.StageName, opportunity: updated };
  }

  /** An account with its open pipeline summary, or undefined when there is no such id. */
  account(id: string): { account: Account; openOpportunities: number; openPipelineAmount: number; wonAmount: number } | undefined {
    const account = this.#accounts.get(id);
    if (!account) return undefined;
    const opps = [...this.#opportunities.values()].filter((o) => o.AccountId === id);
    const open = opps.filter((o) => !o.StageName.startsWith('Closed'));
    return {
      account,
      openOpportunities: open.length,
      openPipelineAmount: open.reduce((sum, o) => sum + o.Amount, 0),
      wonAmount: opps.filter((o) => o.StageName === 'Closed Won').reduce((sum, o) => sum + o.Amount, 0),
    };
  }
}

/** Builds one MCP server over `org` (one per session; the org is shared). */
export function createSalesforceServer(org: SalesforceOrg): McpServer {
  const server = new McpServer({ name: 'salesforce-opportunity', title: 'Salesforce Opportunities', version: '1.4.0' });

  server.registerTool(
    'searchOpportunity',
    {
      title: 'Search opportunities',
      description: 'Find Salesforce opportunities whose name or account name contains the query, optionally only in one stage. Results are ordered by close date.',
      inputSchema: {
        query: z.string().max(200).describe('Text to look for in the opportunity or account name; empty matches all'),
        stage: z.enum(OPPORTUNITY_STAGES).optional().describe('Only opportunities in this stage'),
        limit: z.number().int().min(1).max(50).default(10).describe('Most records to return (1–50)'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ query, stage, limit }) => jsonResult(org.search(query, stage, limit)),
  );

  server.registerTool(
    'updateOpportunityStage',
    {
      title: 'Update opportunity stage',
      description: 'Move an opportunity to another sales stage. Probability follows the stage default. Returns the previous and the new stage.',
      inputSchema: {
        id: z.string().min(15).max(18).describe('Opportunity Id, e.g. 006Dn00000Op1AAA'),
        stage: z.enum(OPPORTUNITY_STAGES).describe('The stage to move to'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ id, stage }) => {
      const result = org.updateStage(id, stage);
      if (!result) return toolError(`No opportunity with Id "${id}". Call searchOpportunity to find the Id.`);
      return jsonResult({
        id,
        name: result.opportunity.Name,
        previousStage: result.previousStage,
        newStage: result.opportunity.StageName,
        probability: result.opportunity.Probability,
        summary: `${result.previousStage} → ${result.opportunity.StageName}`,
      });
    },
  );

  server.registerTool(
    'getAccountDetails',
    {
      title: 'Get account details',
      description: 'Read a Salesforce account with its open pipeline (count and amount) and closed-won total.',
      inputSchema: {
        accountId: z.string().min(15).max(18).describe('Account Id, e.g. 001Dn00000AcmeQAA'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ accountId }) => {
      const details = org.account(accountId);
      if (!details) return toolError(`No account with Id "${accountId}". Opportunities returned by searchOpportunity carry their AccountId.`);
      return jsonResult(details);
    },
  );

  return server;
}

if (import.meta.main) {
  const org = new SalesforceOrg();
  await runHttpServerMain('salesforce-opportunity', () => createSalesforceServer(org), process.env);
}
