import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { attemptSeal, sealAttempts } from '../../src/secitem/passcode-attempts.js';
import { TempKeychain, APP_ID } from '../helpers.js';
import { openKeychain, SecError, errSecAuthFailed, errSecInteractionNotAllowed, errSecSuccess, errSecDuplicateItem } from '../../src/index.js';

const isStatus = (status: number) => (e: unknown): boolean => e instanceof SecError && e.status === status;

describe('passcode guessing limits', () => {
  it('four wrong passcodes cost nothing; the fifth disables entry, even of the right passcode, across a restart', () => {
    const t = new TempKeychain('123456');
    try {
      t.kc.close();
      t.kc = openKeychain({ path: t.path });
      for (let i = 0; i < 4; i++) assert.equal(t.kc.unlock('000000'), errSecAuthFailed);
      assert.equal(t.kc.passcodeRetryDelay, 0);
      assert.equal(t.kc.unlock('000000'), errSecAuthFailed);
      assert.ok(t.kc.passcodeRetryDelay > 50_000 && t.kc.passcodeRetryDelay <= 60_000);
      assert.equal(t.kc.unlock('123456'), errSecInteractionNotAllowed);
      t.kc.close();
      assert.throws(() => openKeychain({ path: t.path, passcode: '123456' }), isStatus(errSecInteractionNotAllowed));
      t.kc = openKeychain({ path: t.path });
      assert.equal(t.kc.lockState, 'beforeFirstUnlock');
    } finally {
      t.cleanup();
    }
  });

  it('when the delay has passed the right passcode unlocks and clears the count', () => {
    const t = new TempKeychain('123456');
    try {
      for (let i = 0; i < 5; i++) t.kc.unlock('000000');
      t.kc.close();
      const raw = new Database(t.path);
      // The delay passing: the counter as the keychain would seal it a minute later.
      const seal = attemptSeal(readFileSync(`${t.path}.devicekey`));
      raw.prepare("UPDATE meta SET value = ? WHERE key = 'attempts'").run(sealAttempts(seal, { failed: 5, lastFailureMs: Date.now() - 61_000 }));
      raw.close();
      t.kc = openKeychain({ path: t.path, passcode: '123456' });
      assert.equal(t.kc.lockState, 'unlocked');
      for (let i = 0; i < 4; i++) assert.equal(t.kc.unlock('000000'), errSecAuthFailed);
      assert.equal(t.kc.passcodeRetryDelay, 0);
    } finally {
      t.cleanup();
    }
  });

  it('a wrong current passcode in setPasscode counts too', () => {
    const t = new TempKeychain('123456');
    try {
      for (let i = 0; i < 5; i++) assert.equal(t.kc.setPasscode('000000', 'abcdef'), errSecAuthFailed);
      assert.equal(t.kc.setPasscode('123456', 'abcdef'), errSecInteractionNotAllowed);
    } finally {
      t.cleanup();
    }
  });
});

describe('batch', () => {
  it('commits every call inside it together, each call still answering its own status', () => {
    const t = new TempKeychain();
    try {
      const app = t.kc.client({ applicationIdentifier: APP_ID });
      const statuses = t.kc.batch(() =>
        [1, 2, 2, 3].map((n) => app.SecItemAdd({ class: 'genp', svce: 'batch', acct: `a${n}` }).status),
      );
      assert.deepEqual(statuses, [errSecSuccess, errSecSuccess, errSecDuplicateItem, errSecSuccess]);
      const all = app.SecItemCopyMatching({ class: 'genp', svce: 'batch', m_Limit: 'm_LimitAll', r_Attributes: true });
      assert.equal((all.result as unknown[]).length, 3);
    } finally {
      t.cleanup();
    }
  });

  it('keeps nothing when the batch throws', () => {
    const t = new TempKeychain();
    try {
      const app = t.kc.client({ applicationIdentifier: APP_ID });
      assert.throws(() =>
        t.kc.batch(() => {
          app.SecItemAdd({ class: 'genp', svce: 'rollback', acct: 'a' });
          throw new Error('abandon');
        }),
      );
      assert.equal(app.SecItemCopyMatching({ class: 'genp', svce: 'rollback' }).status, -25300);
    } finally {
      t.cleanup();
    }
  });
});
