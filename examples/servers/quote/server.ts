/**
 * Quote MCP server (example): search the price book, build a quote, read it back,
 * apply a discount. Also serves the price book as a resource and a prompt that
 * drafts the cover email for a quote. Streamable HTTP at `/mcp`, health at `/healthz`.
 *
 * Self-contained: an in-memory price book and quote store; quotes last for the life
 * of the process and are shared by all sessions.
 *
 * Run: `node_modules/.bin/node examples/servers/quote/server.ts`
 * Env: PORT (default 8080; 0 = any free port, printed on stderr), HOST (default 127.0.0.1),
 * CURRENCY (USD, EUR or GBP; default USD): the currency of every price and quote.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod/v4';
import { createStderrLogger, runHttpServerMain } from '../shared/http-host.ts';
import { jsonResult, toolError } from '../shared/results.ts';

/** Currencies the price book is kept in. */
export type Currency = 'USD' | 'EUR' | 'GBP';

/** Fixed list-price conversion from USD (a price book, not a market rate). */
const FROM_USD: Record<Currency, number> = { USD: 1, EUR: 0.9, GBP: 0.8 };

/**
 * The currency named by `value` (the server's CURRENCY setting); undefined means USD.
 * @throws Error naming the accepted currencies when `value` is not one of them
 */
export function parseCurrency(value: string | undefined): Currency {
  if (value === undefined || value === '') return 'USD';
  if (value in FROM_USD) return value as Currency;
  throw new Error(`CURRENCY=${value} is not supported; use one of ${Object.keys(FROM_USD).join(', ')}`);
}

/** A price book entry. */
export interface Product {
  sku: string;
  name: string;
  family: 'Platform' | 'Add-on' | 'Support' | 'Services';
  unit: 'user/year' | 'instance/year' | 'year' | 'day';
  listPrice: number;
  currency: Currency;
  /** Largest discount (percent) a rep may give without deal-desk approval. */
  maxRepDiscountPercent: number;
}

/** A line of a quote. */
export interface QuoteLine {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
  lineTotal: number;
}

/** A quote. Money in the price book currency, rounded to cents. */
export interface Quote {
  id: string;
  accountName: string;
  opportunityId?: string;
  status: 'Draft' | 'Needs Approval';
  currency: Currency;
  lines: QuoteLine[];
  subtotal: number;
  discountPercent: number;
  discountReason?: string;
  discountAmount: number;
  total: number;
  validUntil: string;
  createdAt: string;
}

const PRICE_BOOK_USD: Array<Omit<Product, 'currency'>> = [
  { sku: 'PLT-CORE', name: 'Berth Platform Core', family: 'Platform', unit: 'user/year', listPrice: 540, maxRepDiscountPercent: 15 },
  { sku: 'PLT-ENT', name: 'Berth Platform Enterprise', family: 'Platform', unit: 'user/year', listPrice: 900, maxRepDiscountPercent: 20 },
  { sku: 'ADD-ANL', name: 'Analytics Add-on', family: 'Add-on', unit: 'user/year', listPrice: 180, maxRepDiscountPercent: 10 },
  { sku: 'ADD-SSO', name: 'SSO and SCIM Add-on', family: 'Add-on', unit: 'instance/year', listPrice: 6000, maxRepDiscountPercent: 10 },
  { sku: 'ADD-SBX', name: 'Full Sandbox', family: 'Add-on', unit: 'instance/year', listPrice: 12_000, maxRepDiscountPercent: 10 },
  { sku: 'SUP-PRM', name: 'Premier Support (24x7)', family: 'Support', unit: 'year', listPrice: 25_000, maxRepDiscountPercent: 5 },
  { sku: 'SVC-ONB', name: 'Onboarding Services', family: 'Services', unit: 'day', listPrice: 1800, maxRepDiscountPercent: 0 },
];

/** Largest discount (percent) anyone may apply; above it the quote must be rebuilt. */
export const MAX_DISCOUNT_PERCENT = 40;

const cents = (n: number): number => Math.round(n * 100) / 100;

/** Price book and quotes, held in memory. */
export class QuoteBook {
  readonly #products: Map<string, Product>;
  /** The currency of every price and quote. */
  readonly currency: Currency;
  readonly #quotes = new Map<string, Quote>();
  readonly #now: () => Date;
  #nextNumber = 1;

  /**
   * @param now clock used for createdAt and validUntil
   * @param currency the currency prices and quotes are in (list prices converted from USD)
   */
  constructor(now: () => Date = () => new Date(), currency: Currency = 'USD') {
    this.#now = now;
    this.currency = currency;
    this.#products = new Map(PRICE_BOOK_USD.map((p) => [p.sku, { ...p, listPrice: cents(p.listPrice * FROM_USD[currency]), currency }]));
  }

  /** Every product, in price book order. */
  priceBook(): Product[] {
    return [...this.#products.values()];
  }

  /** Products whose SKU or name contains `query` (case-insensitive), optionally in one family. */
  searchProducts(query: string, family: Product['family'] | undefined): Product[] {
    const q = query.trim().toLowerCase();
    return this.priceBook().filter(
      (p) => (q === '' || p.sku.toLowerCase().includes(q) || p.name.toLowerCase().includes(q)) && (family === undefined || p.family === family),
    );
  }

  /** Creates a draft quote; returns the SKUs that do not exist instead when any is unknown. */
  create(accountName: string, opportunityId: string | undefined, items: Array<{ sku: string; quantity: number }>): Quote | { unknownSkus: string[] } {
    const unknownSkus = items.filter((i) => !this.#products.has(i.sku)).map((i) => i.sku);
    if (unknownSkus.length > 0) return { unknownSkus };
    const lines = items.map((i): QuoteLine => {
      const p = this.#products.get(i.sku)!;
      return { sku: p.sku, name: p.name, quantity: i.quantity, unitPrice: p.listPrice, lineTotal: cents(p.listPrice * i.quantity) };
    });
    const subtotal = cents(lines.reduce((s, l) => s + l.lineTotal, 0));
    const now = this.#now();
    const quote: Quote = {
      id: `Q-${String(this.#nextNumber++).padStart(5, '0')}`,
      accountName,
      ...(opportunityId !== undefined ? { opportunityId } : {}),
      status: 'Draft',
      currency: this.currency,
      lines,
      subtotal,
      discountPercent: 0,
      discountAmount: 0,
      total: subtotal,
      validUntil: new Date(now.getTime() + 30 * 86_400_000).toISOString().slice(0, 10),
      createdAt: now.toISOString(),
    };
    this.#quotes.set(quote.id, quote);
    return quote;
  }

  /** The quote with this id, if any. */
  get(id: string): Quote | undefined {
    return this.#quotes.get(id);
  }

  /**
   * Sets the quote's discount (replacing any earlier one). A discount above the smallest
   * rep limit among its lines marks the quote `Needs Approval`.
   */
  applyDiscount(id: string, percent: number, reason: string): { quote: Quote; repLimitPercent: number } | undefined {
    const quote = this.#quotes.get(id);
    if (!quote) return undefined;
    const repLimitPercent = Math.min(...quote.lines.map((l) => this.#products.get(l.sku)?.maxRepDiscountPercent ?? 0));
    const discountAmount = cents((quote.subtotal * percent) / 100);
    const updated: Quote = {
      ...quote,
      discountPercent: percent,
      discountReason: reason,
      discountAmount,
      total: cents(quote.subtotal - discountAmount),
      status: percent > repLimitPercent ? 'Needs Approval' : 'Draft',
    };
    this.#quotes.set(id, updated);
    return { quote: updated, repLimitPercent };
  }
}

const FAMILIES = ['Platform', 'Add-on', 'Support', 'Services'] as const;
const quoteId = z.string().regex(/^Q-\d{5}$/, 'a quote id looks like Q-00001').describe('Quote id, e.g. Q-00001');

/** Builds one MCP server over `book` (one per session; the book is shared). */
export function createQuoteServer(book: QuoteBook): McpServer {
  const server = new McpServer({ name: 'quote', title: 'Quotes and Price Book', version: '2.1.0' });

  server.registerTool(
    'searchProducts',
    {
      title: 'Search products',
      description: 'Find price book products by SKU or name, optionally in one product family. Returns list prices and the largest discount a rep may give.',
      inputSchema: {
        query: z.string().max(100).describe('Text to look for in the SKU or product name; empty matches all'),
        family: z.enum(FAMILIES).optional().describe('Only products of this family'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ query, family }) => {
      const products = book.searchProducts(query, family);
      return jsonResult({ count: products.length, products });
    },
  );

  server.registerTool(
    'createQuote',
    {
      title: 'Create quote',
      description: 'Create a draft quote at list price for an account. Valid for 30 days.',
      inputSchema: {
        accountName: z.string().min(1).max(200).describe('Customer account name'),
        opportunityId: z.string().min(15).max(18).optional().describe('Salesforce opportunity the quote belongs to'),
        lines: z
          .array(z.object({ sku: z.string().describe('Product SKU from searchProducts'), quantity: z.number().int().min(1).max(100_000) }))
          .min(1)
          .max(50)
          .describe('Products and quantities'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    ({ accountName, opportunityId, lines }) => {
      const result = book.create(accountName, opportunityId, lines);
      if ('unknownSkus' in result) return toolError(`Unknown SKU(s): ${result.unknownSkus.join(', ')}. Call searchProducts to find valid SKUs.`);
      return jsonResult({ quote: result });
    },
  );

  server.registerTool(
    'getQuote',
    {
      title: 'Get quote',
      description: 'Read a quote with its lines, discount and total.',
      inputSchema: { quoteId },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ quoteId: id }) => {
      const quote = book.get(id);
      return quote ? jsonResult({ quote }) : toolError(`No quote "${id}". Quotes are numbered from Q-00001 in the order they were created.`);
    },
  );

  server.registerTool(
    'applyDiscount',
    {
      title: 'Apply discount',
      description: `Set a quote's discount percent (replaces any earlier discount), up to ${MAX_DISCOUNT_PERCENT}%. Above the rep limit of its products the quote needs deal-desk approval.`,
      inputSchema: {
        quoteId,
        percent: z.number().min(0).max(MAX_DISCOUNT_PERCENT).describe(`Discount in percent, 0–${MAX_DISCOUNT_PERCENT}`),
        reason: z.string().min(3).max(500).describe('Why the discount is justified (recorded on the quote)'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ quoteId: id, percent, reason }) => {
      const result = book.applyDiscount(id, percent, reason);
      if (!result) return toolError(`No quote "${id}". Create one with createQuote first.`);
      return jsonResult({ quote: result.quote, repLimitPercent: result.repLimitPercent, needsApproval: result.quote.status === 'Needs Approval' });
    },
  );

  server.registerResource(
    'price-book',
    'pricebook://standard',
    { title: 'Standard price book', description: 'Every product with list price, unit and rep discount limit', mimeType: 'application/json' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ currency: book.currency, products: book.priceBook() }, null, 2) }] }),
  );

  server.registerPrompt(
    'quote-cover-email',
    {
      title: 'Quote cover email',
      description: 'Draft the email that sends a quote to the customer',
      argsSchema: {
        quoteId: z.string().describe('Quote id, e.g. Q-00001'),
        contactName: z.string().describe('Who the email is addressed to'),
      },
    },
    ({ quoteId: id, contactName }) => {
      const quote = book.get(id);
      const facts = quote
        ? `Quote ${quote.id} for ${quote.accountName}: ${quote.lines.map((l) => `${l.quantity} × ${l.name}`).join(', ')}; total ${quote.total} ${quote.currency}` +
          `${quote.discountPercent > 0 ? ` after a ${quote.discountPercent}% discount` : ''}; valid until ${quote.validUntil}.`
        : `Quote ${id} does not exist yet; ask the user to create it first.`;
      return {
        description: `Cover email for quote ${id}`,
        messages: [
          {
            role: 'user',
            content: { type: 'text', text: `Write a short, friendly email to ${contactName} sending the attached quote. ${facts} Do not promise further discounts.` },
          },
        ],
      };
    },
  );

  return server;
}

if (import.meta.main) {
  let currency: Currency;
  try {
    currency = parseCurrency(process.env.CURRENCY);
  } catch (err) {
    createStderrLogger('quote').fatal((err as Error).message);
    process.exit(1);
  }
  const book = new QuoteBook(undefined, currency);
  await runHttpServerMain('quote', () => createQuoteServer(book), process.env);
}
