/**
 * Knowledge-base MCP server (example), over stdio: search support and sales-enablement
 * articles, read one, or read it as the resource `kb://articles/{id}`.
 *
 * stdout carries only protocol messages; logs go to stderr as one JSON line each.
 * Exits 0 when stdin closes or on SIGTERM / SIGINT.
 *
 * Run: `node_modules/.bin/node examples/servers/knowledge-base/server.ts` (the client speaks on stdin/stdout).
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { pino } from 'pino';
import * as z from 'zod/v4';
import { jsonResult, toolError } from '../shared/results.ts';

/** A knowledge-base article. */
export interface Article {
  id: string;
  title: string;
  category: 'Product' | 'Pricing' | 'Security' | 'Support' | 'Sales Playbook';
  tags: string[];
  updatedAt: string;
  body: string;
}

const ARTICLES: Article[] = [
  {
    id: 'KB-1001', title: 'How discount approval works', category: 'Pricing', tags: ['discount', 'approval', 'deal desk'], updatedAt: '2026-04-02',
    body: 'Reps may discount up to the limit shown for each product in the price book (15% for Platform Core, 20% for Enterprise). Anything above goes to the deal desk, which answers within one business day. Discounts above 40% are never approved; restructure the deal instead (longer term, fewer add-ons).',
  },
  {
    id: 'KB-1002', title: 'Opportunity stages and exit criteria', category: 'Sales Playbook', tags: ['opportunity', 'stage', 'pipeline', 'forecast'], updatedAt: '2026-03-18',
    body: 'Qualification ends when budget, authority, need and timing are confirmed. Value Proposition ends with a mutual success plan. Proposal/Price Quote needs an approved quote. Negotiation/Review needs legal redlines started. Only move an opportunity to Closed Won with a countersigned order form.',
  },
  {
    id: 'KB-1003', title: 'Single sign-on with SAML and SCIM provisioning', category: 'Security', tags: ['sso', 'saml', 'scim', 'okta', 'entra'], updatedAt: '2026-02-11',
    body: 'The SSO and SCIM Add-on supports SAML 2.0 with Okta, Microsoft Entra ID and Google Workspace, and SCIM 2.0 user provisioning. Set the ACS URL to https://<tenant>.example.com/sso/acs. Just-in-time provisioning is off by default.',
  },
  {
    id: 'KB-1004', title: 'Data residency and subprocessors', category: 'Security', tags: ['gdpr', 'data residency', 'eu', 'subprocessors'], updatedAt: '2026-05-01',
    body: 'Customer data is stored in the region chosen at signup: us-east-1, eu-central-1 or ap-southeast-2. Backups stay in the same region. The subprocessor list is published at trust.example.com and customers are notified 30 days before a change.',
  },
  {
    id: 'KB-1005', title: 'Premier Support: response times', category: 'Support', tags: ['support', 'sla', 'premier', 'severity'], updatedAt: '2026-01-20',
    body: 'Premier Support answers Severity 1 incidents within 30 minutes, 24x7, Severity 2 within 2 hours and Severity 3 within one business day. Each Premier customer has a named technical account manager.',
  },
  {
    id: 'KB-1006', title: 'Renewal playbook: 120 days out', category: 'Sales Playbook', tags: ['renewal', 'churn', 'upsell'], updatedAt: '2026-04-22',
    body: 'Start renewals 120 days before the end date: review usage, open a renewal opportunity, and propose the Analytics Add-on where more than 60% of seats are active. Flag accounts with under 40% active seats to customer success.',
  },
  {
    id: 'KB-1007', title: 'Full Sandbox: refresh and limits', category: 'Product', tags: ['sandbox', 'testing', 'refresh'], updatedAt: '2026-03-05',
    body: 'A Full Sandbox copies production data and configuration and can be refreshed every 29 days. It is sized like production and counts as one instance in the price book.',
  },
  {
    id: 'KB-1008', title: 'Onboarding services: what a day covers', category: 'Support', tags: ['onboarding', 'services', 'implementation'], updatedAt: '2026-02-27',
    body: 'An onboarding day is eight hours of a solutions engineer, remote or on site (travel billed separately). A typical Platform Core rollout for 200 users takes five days: kickoff, SSO, data import, admin training, go-live.',
  },
];

/** The articles, searchable. */
export class KnowledgeBase {
  readonly #articles = new Map(ARTICLES.map((a) => [a.id, a]));

  /** Every article, in id order. */
  all(): Article[] {
    return [...this.#articles.values()];
  }

  /** The article with this id (case-insensitive), if any. */
  get(id: string): Article | undefined {
    return this.#articles.get(id.toUpperCase());
  }

  /**
   * Articles matching every word of `query` in title, tags or body, best first:
   * a title hit counts 3, a tag hit 2, a body hit 1.
   */
  search(query: string, category: Article['category'] | undefined, limit: number): Array<{ id: string; title: string; category: string; score: number; snippet: string }> {
    const words = query.toLowerCase().split(/\W+/).filter((w) => w.length > 1);
    return this.all()
      .filter((a) => category === undefined || a.category === category)
      .map((a) => {
        const title = a.title.toLowerCase();
        const tags = a.tags.join(' ').toLowerCase();
        const body = a.body.toLowerCase();
        let score = 0;
        for (const w of words) {
          const s = (title.includes(w) ? 3 : 0) + (tags.includes(w) ? 2 : 0) + (body.includes(w) ? 1 : 0);
          if (s === 0) return undefined;
          score += s;
        }
        return { id: a.id, title: a.title, category: a.category, score, snippet: `${a.body.slice(0, 140)}…` };
      })
      .filter((hit) => hit !== undefined)
      .sort((x, y) => y.score - x.score || x.id.localeCompare(y.id))
      .slice(0, limit);
  }
}

const CATEGORIES = ['Product', 'Pricing', 'Security', 'Support', 'Sales Playbook'] as const;

function articleMarkdown(a: Article): string {
  return `# ${a.title}\n\n${a.category} · updated ${a.updatedAt} · tags: ${a.tags.join(', ')}\n\n${a.body}\n`;
}

/** Builds the MCP server over `kb`. */
export function createKnowledgeBaseServer(kb: KnowledgeBase): McpServer {
  const server = new McpServer({ name: 'knowledge-base', title: 'Knowledge Base', version: '0.9.2' });

  server.registerTool(
    'searchArticles',
    {
      title: 'Search articles',
      description: 'Full-text search over knowledge-base articles (every word must match title, tags or body). Best matches first.',
      inputSchema: {
        query: z.string().min(1).max(200).describe('Words to look for, e.g. "discount approval"'),
        category: z.enum(CATEGORIES).optional().describe('Only articles of this category'),
        limit: z.number().int().min(1).max(20).default(5).describe('Most articles to return (1–20)'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ query, category, limit }) => {
      const hits = kb.search(query, category, limit);
      return jsonResult({ count: hits.length, articles: hits });
    },
  );

  server.registerTool(
    'getArticle',
    {
      title: 'Get article',
      description: 'Read a whole knowledge-base article by id.',
      inputSchema: { id: z.string().regex(/^KB-\d{4}$/i, 'an article id looks like KB-1001').describe('Article id, e.g. KB-1001') },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ id }) => {
      const article = kb.get(id);
      return article ? jsonResult({ article }) : toolError(`No article "${id}". Call searchArticles to find article ids.`);
    },
  );

  server.registerResource(
    'article',
    new ResourceTemplate('kb://articles/{id}', {
      list: () => ({
        resources: kb.all().map((a) => ({ uri: `kb://articles/${a.id}`, name: a.id, title: a.title, mimeType: 'text/markdown' })),
      }),
      complete: { id: (value) => kb.all().map((a) => a.id).filter((id) => id.startsWith(value.toUpperCase())) },
    }),
    { title: 'Knowledge-base article', description: 'One article as Markdown', mimeType: 'text/markdown' },
    (uri, { id }) => {
      const article = typeof id === 'string' ? kb.get(id) : undefined;
      if (!article) throw new Error(`No article at ${uri.href}; list resources to see which exist`);
      return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: articleMarkdown(article) }] };
    },
  );

  return server;
}

if (import.meta.main) {
  const logger = pino({ name: 'knowledge-base' }, pino.destination({ dest: 2, sync: true }));
  const server = createKnowledgeBaseServer(new KnowledgeBase());
  const transport = new StdioServerTransport();
  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down');
    setTimeout(() => process.exit(0), 1000).unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // The client closing our stdin is how a stdio session ends.
  process.stdin.once('end', () => stop('stdin closed'));
  await server.connect(transport);
  logger.info({ transport: 'stdio' }, 'ready');
}
