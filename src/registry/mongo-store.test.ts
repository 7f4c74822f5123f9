import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { parseLabelSelector } from './label-selector.ts';
import { DOCUMENTDB_SAFE_CLIENT_OPTIONS, labelFilter, openMongoStore } from './mongo-store.ts';
import { runStoreContract } from './store-contract.ts';

const uri = process.env.BERTH_TEST_MONGODB_URI;

if (!uri) {
  console.log('MongoDB store contract SKIPPED: set BERTH_TEST_MONGODB_URI=mongodb://host:27017 (or a DocumentDB URI) to run it');
}

describe.skipIf(!uri)('MongoDB store (BERTH_TEST_MONGODB_URI)', () => {
  const run = `berth_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const databases: string[] = [];
  runStoreContract({
    name: 'mongodb',
    newStore: () => {
      const database = `${run}_${databases.length}`;
      databases.push(database);
      return openMongoStore({ uri: uri!, database, repairAfterMs: 500 });
    },
    cleanup: async () => {
      const client = new MongoClient(uri!, { ...DOCUMENTDB_SAFE_CLIENT_OPTIONS });
      await client.connect();
      try {
        for (const d of databases) await client.db(d).dropDatabase();
      } finally {
        await client.close();
      }
    },
  });
});

describe('MongoDB store pure parts (no server needed)', () => {
  it('forces retryWrites off, which DocumentDB requires', () => {
    expect(DOCUMENTDB_SAFE_CLIENT_OPTIONS).toEqual({ retryWrites: false });
  });

  it('translates label selectors to filters over labelPairs / labelKeys arrays, without dotted paths', () => {
    expect(labelFilter(parseLabelSelector(''))).toEqual({});
    expect(labelFilter(parseLabelSelector('berth.dev/source=repo,env!=dev,tier,!legacy,zone in (a,b),os notin (win)'))).toEqual({
      $and: [
        { labelPairs: 'berth.dev/source=repo' },
        { labelPairs: { $ne: 'env=dev' } },
        { labelKeys: 'tier' },
        { labelKeys: { $ne: 'legacy' } },
        { labelPairs: { $in: ['zone=a', 'zone=b'] } },
        { labelPairs: { $nin: ['os=win'] } },
      ],
    });
  });
});
