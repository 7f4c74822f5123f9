import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../manifest/resource.ts';
import { openStore } from './open-store.ts';
import { InvalidStoreUrlError, parseStoreUrl, redactStoreUrl, scrubSecrets, StoreUnreachableError } from './store-location.ts';

describe('store URLs', () => {
  it('reads MongoDB URIs: database from the path (default berth), options left to the driver', () => {
    expect(parseStoreUrl('mongodb://db:27017', '/x')).toEqual({ adapter: 'mongodb', uri: 'mongodb://db:27017', database: 'berth', display: 'mongodb://db:27017' });
    const docdb = 'mongodb://berth:p%40ss@docdb.example.com:27017/prod?tls=true&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false';
    expect(parseStoreUrl(docdb, '/x')).toMatchObject({ adapter: 'mongodb', uri: docdb, database: 'prod', display: docdb.replace('p%40ss', '***') });
    expect(parseStoreUrl('mongodb+srv://u@cluster.example.net/?retryWrites=false', '/x')).toMatchObject({ database: 'berth' });
    expect(parseStoreUrl('mongodb://h1:1,h2:2/db?replicaSet=rs0', '/x')).toMatchObject({ database: 'db' });
  });

  it('reads SQLite locations: sqlite:PATH, sqlite:///abs, a plain path, :memory:', () => {
    expect(parseStoreUrl('sqlite:state/r.db', '/srv')).toEqual({ adapter: 'sqlite', path: '/srv/state/r.db', display: 'sqlite:/srv/state/r.db' });
    expect(parseStoreUrl('sqlite:///var/lib/berth.db', '/srv')).toMatchObject({ path: '/var/lib/berth.db' });
    expect(parseStoreUrl('./r.db', '/srv')).toMatchObject({ adapter: 'sqlite', path: '/srv/r.db' });
    expect(parseStoreUrl(':memory:', '/srv')).toMatchObject({ adapter: 'sqlite', path: ':memory:' });
  });

  it('refuses other schemes and malformed URIs, naming the accepted forms and never the password', () => {
    expect(() => parseStoreUrl('redis://x', '/')).toThrow(/unsupported store scheme "redis:".*mongodb:\/\/.*sqlite:PATH/);
    expect(() => parseStoreUrl('postgres://u:hunter2@h/db', '/')).toThrow(InvalidStoreUrlError);
    try {
      parseStoreUrl('postgres://u:hunter2@h/db', '/');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
    expect(() => parseStoreUrl('mongodb://', '/')).toThrow(/names no host/);
    expect(() => parseStoreUrl('mongodb://h/a.b', '/')).toThrow(/not a MongoDB database name/);
    expect(() => parseStoreUrl('sqlite:', '/')).toThrow(/no file after "sqlite:"/);
    expect(() => parseStoreUrl('  ', '/')).toThrow(/empty/);
  });

  it('redacts passwords and secret options, and scrubs them from any text', () => {
    expect(redactStoreUrl('mongodb://u:s3cret@h/db?authMechanismProperties=AWS_SESSION_TOKEN:abc&tls=true')).toBe('mongodb://u:***@h/db?authMechanismProperties=***&tls=true');
    expect(redactStoreUrl('mongodb://u@h/db')).toBe('mongodb://u@h/db');
    expect(scrubSecrets('auth failed for s3cr@t at mongodb://u:s3cr%40t@h', 'mongodb://u:s3cr%40t@h')).toBe('auth failed for *** at mongodb://u:***@h');
  });
});

describe('openStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-open-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('opens SQLite at sqlite:PATH, creating the folder', async () => {
    const store = await openStore('sqlite:nested/deeper/registry.db', { cwd: dir });
    await store.create({ apiVersion: API_VERSION, kind: 'MCPServer', metadata: { name: 'a' }, spec: {} });
    await store.close();
    expect(existsSync(join(dir, 'nested/deeper/registry.db'))).toBe(true);
  });

  it('reports an unreachable MongoDB server within the timeout, as StoreUnreachableError without the password', async () => {
    const started = Date.now();
    const err = await openStore('mongodb://berth:hunter2@127.0.0.1:1/x', { connectTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(StoreUnreachableError);
    expect((err as StoreUnreachableError).store).toBe('mongodb://berth:***@127.0.0.1:1/x');
    expect((err as Error).message).toMatch(/cannot reach the MongoDB store mongodb:\/\/berth:\*\*\*@127\.0\.0\.1:1\/x: .*ECONNREFUSED/);
    expect((err as Error).message).not.toContain('hunter2');
    expect((err as Error).cause).toBeDefined();
  });

  it('turns URI options the driver refuses into InvalidStoreUrlError, and a CA file for SQLite too', async () => {
    await expect(openStore('mongodb://127.0.0.1:1/?tls=maybe')).rejects.toThrow(InvalidStoreUrlError);
    await expect(openStore('sqlite::memory:', { tlsCAFile: '/etc/ca.pem' })).rejects.toThrow(InvalidStoreUrlError);
  });

  it('reports a SQLite file that cannot be opened, or whose folder cannot be made, as StoreUnreachableError', async () => {
    await expect(openStore(`sqlite:${dir}`)).rejects.toThrow(/cannot open the SQLite store sqlite:.*unable to open database file/);
    writeFileSync(join(dir, 'a-file'), '');
    await expect(openStore('sqlite:a-file/registry.db', { cwd: dir })).rejects.toThrow(StoreUnreachableError);
  });
});
