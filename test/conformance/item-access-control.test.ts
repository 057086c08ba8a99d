/**
 * Access control through the SecItem functions: a generic password and a
 * permanent private key protected by kSecAttrAccessControl with
 * UserPresence, ApplicationPassword, or UserPresence | ApplicationPassword |
 * Or (reference §4.1 accc, §4.4 u_AuthUI, §4.6 errSecAuthNeeded/skip rule).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  LAContext,
  LACredentialType,
  SecKey,
  SecAccessControlCreateWithFlags,
  SecKeyCreateSignature,
  SecKeyVerifySignature,
  SecKeyCopyPublicKey,
  kSecKeyAlgorithmECDSASignatureMessageX962SHA256,
  kSecPrivateKeyAttrs,
  kSecClass,
  kSecClassKey,
  kSecAttrKeyType,
  kSecAttrKeyTypeECSECPrimeRandom,
  kSecAttrKeySizeInBits,
  kSecAttrIsPermanent,
  kSecAttrApplicationTag,
  kSecAttrAccessControl,
  kSecAttrAccessibleWhenUnlocked,
  kSecAccessControlUserPresence,
  kSecAccessControlApplicationPassword,
  kSecAccessControlOr,
  kSecUseAuthenticationContext,
  kSecUseAuthenticationUI,
  kSecUseAuthenticationUISkip,
  kSecReturnData,
  kSecReturnAttributes,
  kSecReturnRef,
  kSecMatchLimit,
  kSecMatchLimitAll,
  errSecSuccess,
  errSecInteractionNotAllowed,
  errSecUserCanceled,
  errSecAuthFailed,
} from '../../src/index.js';
import { TempKeychain, type Client, type Dict, ok, expectOutcome, expectStatus, bytes, dict, array, genp, genpWithData, unique, utf8, text } from '../helpers.js';

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups.reverse()) c();
});
function fresh(): { tk: TempKeychain; app: Client } {
  const tk = new TempKeychain();
  cleanups.push(() => tk.cleanup());
  return { tk, app: tk.client() };
}

const ALG = kSecKeyAlgorithmECDSASignatureMessageX962SHA256;
const PASSWORD = 'correct horse';

function acOf(flags: number) {
  const { accessControl } = SecAccessControlCreateWithFlags(kSecAttrAccessibleWhenUnlocked, flags);
  assert.ok(accessControl);
  return accessControl;
}

/** A context whose user-presence check answers `answer` and counts the calls; optionally holding an application password. */
function context(answer: boolean | undefined, password?: string): { ctx: LAContext; calls: () => number } {
  let n = 0;
  const ctx = new LAContext(
    answer === undefined
      ? {}
      : {
          userPresence: () => {
            n += 1;
            return answer;
          },
        },
  );
  if (password !== undefined) assert.ok(ctx.setCredential(utf8(password), LACredentialType.applicationPassword));
  return { ctx, calls: () => n };
}

/** Where the protected secret lives: a genp item, or a permanent private key made by SecKeyCreateRandomKey. */
interface Protected {
  kind: string;
  /** The query naming the item. */
  query: Dict;
}

const policies = [
  { name: 'UserPresence', flags: kSecAccessControlUserPresence, password: false },
  { name: 'ApplicationPassword', flags: kSecAccessControlApplicationPassword, password: true },
  { name: 'UserPresence | ApplicationPassword | Or', flags: kSecAccessControlUserPresence + kSecAccessControlApplicationPassword + kSecAccessControlOr, password: true },
] as const;

function addProtected(app: Client, kind: 'genp' | 'key', flags: number, withPassword: boolean): Protected {
  const accc = acOf(flags);
  const creator = withPassword ? { [kSecUseAuthenticationContext]: context(undefined, PASSWORD).ctx } : {};
  if (kind === 'genp') {
    const svc = unique('acl');
    ok(app.SecItemAdd(genpWithData(svc, 'acct', 'the protected secret', { [kSecAttrAccessControl]: accc, ...creator })), 'add protected genp');
    return { kind, query: genp(svc, 'acct') };
  }
  const t = unique('acl-key');
  const r = app.SecKeyCreateRandomKey({
    [kSecAttrKeyType]: kSecAttrKeyTypeECSECPrimeRandom,
    [kSecAttrKeySizeInBits]: 256,
    ...creator,
    [kSecPrivateKeyAttrs]: { [kSecAttrIsPermanent]: true, [kSecAttrApplicationTag]: utf8(t), [kSecAttrAccessControl]: accc, ...creator },
  });
  assert.ok(r.value, `SecKeyCreateRandomKey: ${r.error?.message}`);
  return { kind, query: { [kSecClass]: kSecClassKey, [kSecAttrApplicationTag]: utf8(t) } };
}

for (const kind of ['genp', 'key'] as const) {
  for (const p of policies) {
    describe(`a ${kind === 'genp' ? 'generic password' : 'permanent private key'} with accc ${p.name}`, () => {
      it('reading its attributes needs no context', () => {
        const { app } = fresh();
        const item = addProtected(app, kind, p.flags, p.password);
        const d = dict(ok(app.SecItemCopyMatching({ ...item.query, [kSecReturnAttributes]: true })));
        assert.ok(d[kSecAttrAccessControl] !== undefined, 'accc is reported');
      });

      it('reading its data without a context is errSecInteractionNotAllowed', () => {
        const { app } = fresh();
        const item = addProtected(app, kind, p.flags, p.password);
        expectOutcome(app.SecItemCopyMatching({ ...item.query, [kSecReturnData]: true }), errSecInteractionNotAllowed);
      });

      if (p.name !== 'ApplicationPassword') {
        it('the user declining is errSecUserCanceled (-128)', () => {
          const { app } = fresh();
          const item = addProtected(app, kind, p.flags, p.password);
          const { ctx, calls } = context(false);
          expectOutcome(app.SecItemCopyMatching({ ...item.query, [kSecReturnData]: true, [kSecUseAuthenticationContext]: ctx }), errSecUserCanceled);
          assert.equal(calls(), 1, 'asked once');
        });

        it('the user accepting gives the data', () => {
          const { app } = fresh();
          const item = addProtected(app, kind, p.flags, p.password);
          const { ctx, calls } = context(true);
          const data = bytes(ok(app.SecItemCopyMatching({ ...item.query, [kSecReturnData]: true, [kSecUseAuthenticationContext]: ctx })));
          if (kind === 'genp') assert.equal(text(data), 'the protected secret');
          else assert.ok(data.length > 0);
          assert.equal(calls(), 1, 'asked once');
        });
      }

      if (p.password) {
        it('the right application password in the context gives the data without asking for presence', () => {
          const { app } = fresh();
          const item = addProtected(app, kind, p.flags, p.password);
          const { ctx, calls } = context(undefined, PASSWORD);
          const data = bytes(ok(app.SecItemCopyMatching({ ...item.query, [kSecReturnData]: true, [kSecUseAuthenticationContext]: ctx })));
          if (kind === 'genp') assert.equal(text(data), 'the protected secret');
          assert.equal(calls(), 0);
        });
      }

      if (p.name === 'ApplicationPassword') {
        it('a wrong application password is errSecAuthFailed', () => {
          const { app } = fresh();
          const item = addProtected(app, kind, p.flags, p.password);
          const { ctx } = context(undefined, 'wrong password');
          expectOutcome(app.SecItemCopyMatching({ ...item.query, [kSecReturnData]: true, [kSecUseAuthenticationContext]: ctx }), errSecAuthFailed);
        });
      }

      if (p.name === 'UserPresence | ApplicationPassword | Or') {
        it('Or: user presence alone (no password in the context) is enough', () => {
          const { app } = fresh();
          const item = addProtected(app, kind, p.flags, p.password);
          const { ctx } = context(true);
          expectOutcome(app.SecItemCopyMatching({ ...item.query, [kSecReturnData]: true, [kSecUseAuthenticationContext]: ctx }), errSecSuccess);
        });
      }
    });
  }
}

describe('kSecUseAuthenticationUI = kSecUseAuthenticationUISkip', () => {
  for (const p of policies) {
    it(`an m_LimitAll data query skips the item protected by ${p.name} and returns the others`, () => {
      const { app } = fresh();
      const svc = unique('skip');
      ok(app.SecItemAdd(genpWithData(svc, 'open-1', 'plain one')));
      const withPw = p.password ? { [kSecUseAuthenticationContext]: context(undefined, PASSWORD).ctx } : {};
      ok(app.SecItemAdd(genpWithData(svc, 'locked', 'protected', { [kSecAttrAccessControl]: acOf(p.flags), ...withPw })));
      ok(app.SecItemAdd(genpWithData(svc, 'open-2', 'plain two')));
      const all = array(
        ok(
          app.SecItemCopyMatching({
            ...genp(svc),
            [kSecMatchLimit]: kSecMatchLimitAll,
            [kSecReturnData]: true,
            [kSecUseAuthenticationUI]: kSecUseAuthenticationUISkip,
          }),
        ),
      );
      assert.deepEqual(all.map((d) => text(d)).sort(), ['plain one', 'plain two']);
    });
  }

  it('attributes-only queries with the skip flag still list the protected item (it needs no authentication for attributes)', () => {
    const { app } = fresh();
    const svc = unique('skip-attrs');
    ok(app.SecItemAdd(genpWithData(svc, 'open', 'plain')));
    ok(app.SecItemAdd(genpWithData(svc, 'locked', 'protected', { [kSecAttrAccessControl]: acOf(kSecAccessControlUserPresence) })));
    const all = array(
      ok(app.SecItemCopyMatching({ ...genp(svc), [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true, [kSecUseAuthenticationUI]: kSecUseAuthenticationUISkip })),
    );
    assert.equal(all.length, 2);
  });
});

describe('LAContext reuse (touchIDAuthenticationAllowableReuseDuration)', () => {
  it('a context reused within the reuse duration asks the user once for several reads', () => {
    const { app } = fresh();
    const a = addProtected(app, 'genp', kSecAccessControlUserPresence, false);
    const b = addProtected(app, 'genp', kSecAccessControlUserPresence, false);
    const { ctx, calls } = context(true);
    ctx.touchIDAuthenticationAllowableReuseDuration = 60;
    for (const item of [a, b, a]) ok(app.SecItemCopyMatching({ ...item.query, [kSecReturnData]: true, [kSecUseAuthenticationContext]: ctx }));
    assert.equal(calls(), 1);
  });

  it('with the default reuse duration (0) every read asks', () => {
    const { app } = fresh();
    const a = addProtected(app, 'genp', kSecAccessControlUserPresence, false);
    const { ctx, calls } = context(true);
    for (let i = 0; i < 3; i += 1) ok(app.SecItemCopyMatching({ ...a.query, [kSecReturnData]: true, [kSecUseAuthenticationContext]: ctx }));
    assert.equal(calls(), 3);
  });
});

describe('signing with a protected key found by r_Ref', () => {
  const data = utf8('sign me');
  const verifies = (key: SecKey, sig: Uint8Array) => SecKeyVerifySignature(SecKeyCopyPublicKey(key)!, ALG, data, sig).value === true;

  it('with the context in the query: the key signs, asking for user presence', () => {
    const { app } = fresh();
    const item = addProtected(app, 'key', kSecAccessControlUserPresence, false);
    const { ctx, calls } = context(true);
    const key = ok(app.SecItemCopyMatching({ ...item.query, [kSecReturnRef]: true, [kSecUseAuthenticationContext]: ctx }));
    assert.ok(key instanceof SecKey);
    const sig = SecKeyCreateSignature(key, ALG, data);
    assert.ok(sig.value, `signature: ${sig.error?.message}`);
    assert.ok(verifies(key, sig.value));
    assert.ok(calls() >= 1, 'the user was asked');
  });

  it('with a declining context in the query: signing fails with errSecUserCanceled', () => {
    const { app } = fresh();
    const item = addProtected(app, 'key', kSecAccessControlUserPresence, false);
    const { ctx } = context(false);
    const r = app.SecItemCopyMatching({ ...item.query, [kSecReturnRef]: true, [kSecUseAuthenticationContext]: ctx });
    if (r.status === errSecSuccess) {
      const sig = SecKeyCreateSignature(r.result as SecKey, ALG, data);
      assert.ok(sig.error, 'no signature');
      expectStatus(sig.error.status, errSecUserCanceled, 'signature');
    } else expectStatus(r.status, errSecUserCanceled, 'r_Ref');
  });

  it('found without a context: the reference is returned but signing is errSecInteractionNotAllowed', () => {
    const { app } = fresh();
    const item = addProtected(app, 'key', kSecAccessControlUserPresence, false);
    const key = ok(app.SecItemCopyMatching({ ...item.query, [kSecReturnRef]: true }));
    assert.ok(key instanceof SecKey);
    const sig = SecKeyCreateSignature(key, ALG, data);
    assert.ok(sig.error, 'no signature without authentication');
    expectStatus(sig.error.status, errSecInteractionNotAllowed, 'signature');
  });

  it('an application-password key signs with the right password in the query\'s context and not with a wrong one (errSecAuthFailed)', () => {
    const { app } = fresh();
    const item = addProtected(app, 'key', kSecAccessControlApplicationPassword, true);
    const good = ok(app.SecItemCopyMatching({ ...item.query, [kSecReturnRef]: true, [kSecUseAuthenticationContext]: context(undefined, PASSWORD).ctx })) as SecKey;
    const sig = SecKeyCreateSignature(good, ALG, data);
    assert.ok(sig.value && verifies(good, sig.value), `signature: ${sig.error?.message}`);
    const r = app.SecItemCopyMatching({ ...item.query, [kSecReturnRef]: true, [kSecUseAuthenticationContext]: context(undefined, 'wrong').ctx });
    if (r.status === errSecSuccess) {
      const bad = SecKeyCreateSignature(r.result as SecKey, ALG, data);
      assert.ok(bad.error);
      expectStatus(bad.error.status, errSecAuthFailed, 'signature with a wrong password');
    } else expectStatus(r.status, errSecAuthFailed, 'r_Ref with a wrong password');
  });
});

describe('SecAccessControlCreateWithFlags flags in JavaScript', () => {
  it('flags combined with | (ApplicationPassword is bit 31, so the int32 result is negative) are the same flags as their sum', () => {
    const viaOr = SecAccessControlCreateWithFlags(kSecAttrAccessibleWhenUnlocked, kSecAccessControlUserPresence | kSecAccessControlApplicationPassword | kSecAccessControlOr);
    assert.ok(viaOr.accessControl, `refused: ${viaOr.error?.message}`);
    assert.equal(viaOr.accessControl.flags >>> 0, (kSecAccessControlUserPresence + kSecAccessControlApplicationPassword + kSecAccessControlOr) >>> 0);
  });
});
