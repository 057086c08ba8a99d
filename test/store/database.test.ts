import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { KeychainDatabase } from '../../src/store/database.js';
import type { UpgradeContext } from '../../src/store/format.js';

/** An upgrade context for files whose device key these tests do not check. */
const testUpgrade: UpgradeContext = { confirmKeychain: () => undefined, ledgerHash: () => new MultisetHash(randomBytes(32)), classIndex: (_cls, v) => Buffer.from(v), sealLegacyAttempts: () => 'unsealed' };
import { MultisetHash } from '../../src/crypto/multiset-hash.js';
import { randomBytes } from 'node:crypto';
import { itemClasses } from '../../src/schema/classes.js';
import { SecError, errSecInvalidKeychain } from '../../src/status.js';

const classes = [...itemClasses.values()];
const isInvalid = (e: unknown): boolean => e instanceof SecError && e.status === errSecInvalidKeychain;

describe('KeychainDatabase', () => {
  it('creates a 0600 file with one table per class and unique key columns', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'secitem-db-')), 'k.db');
    const db = KeychainDatabase.create(path, classes, new Map(), new MultisetHash(randomBytes(32)));
    db.close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const raw = new Database(path, { readonly: true });
    const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    assert.deepEqual(tables, ['cert', 'genp', 'inet', 'keys', 'ledger', 'meta', 'schema_attributes']);
    raw.close();
  });

  it('refuses a file that is not a keychain and leaves it byte-identical', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secitem-db-'));
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a keychain at all, just some text that is long enough');
    const before = readFileSync(text);
    assert.throws(() => KeychainDatabase.open(text, classes, testUpgrade), isInvalid);
    assert.deepEqual(readFileSync(text), before);

    const other = join(dir, 'other.sqlite');
    const o = new Database(other);
    o.exec('CREATE TABLE t (x)');
    o.close();
    const otherBefore = readFileSync(other);
    assert.throws(() => KeychainDatabase.open(other, classes, testUpgrade), isInvalid);
    assert.deepEqual(readFileSync(other), otherBefore);
  });
});
