/**
 * The schema as data (src/schema/classes.ts, model.ts): which columns enforce
 * uniqueness and which indexes serve queries.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cert, genp, inet, keys } from '../../src/schema/classes.js';

describe('the UNIQUE index of each class', () => {
  it('holds exactly the key attributes, led by the class\'s main query columns, so one b-tree enforces uniqueness and serves that query', () => {
    assert.deepEqual(genp.uniqueIndex, ['svce', 'acct', 'agrp', 'sync', 'vwht', 'tkid']);
    assert.deepEqual(inet.uniqueIndex.slice(0, 2), ['srvr', 'acct']);
    assert.deepEqual(cert.uniqueIndex.slice(0, 2), ['issr', 'slnr']);
    assert.deepEqual(keys.uniqueIndex[0], 'klbl');
    for (const cls of [genp, inet, cert, keys]) {
      assert.deepEqual([...cls.uniqueIndex].sort(), cls.primaryKey.map((a) => a.code).sort(), cls.name);
    }
  });

  it('replaces the declared index it leads with; the others stay (genp keeps its account index)', () => {
    assert.deepEqual(genp.indexes, [['acct']]);
    assert.deepEqual(inet.indexes, [['acct']]);
    assert.deepEqual(cert.indexes, [['subj'], ['pkhh'], ['labl']]);
    assert.deepEqual(keys.indexes, [['atag'], ['labl']]);
  });
});
