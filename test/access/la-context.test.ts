/**
 * LAContext and the access-control rules (access/evaluate.ts): the matrix of
 * flags × operation × what the context answers, then the rules one by one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LAContext, LACredentialType, LATouchIDAuthenticationMaximumAllowableReuseDuration } from '../../src/access/la-context.js';
import {
  applicationPasswordVerifier,
  authorize,
  authorizeUse,
  checkApplicationPassword,
  protectionAvailable,
  requiresAuthentication,
  type AccessOperation,
} from '../../src/access/evaluate.js';
import {
  kSecAccessControlAnd,
  kSecAccessControlApplicationPassword,
  kSecAccessControlBiometryAny,
  kSecAccessControlBiometryCurrentSet,
  kSecAccessControlDevicePasscode,
  kSecAccessControlOr,
  kSecAccessControlPrivateKeyUsage,
  kSecAccessControlUserPresence,
  kSecAccessControlWatch,
} from '../../src/constants.js';
import { SecAccessControlCreateWithFlags } from '../../src/secitem/access-control.js';
import {
  SecCopyErrorMessageString,
  SecError,
  errSecAuthFailed,
  errSecDecode,
  errSecInteractionNotAllowed,
  errSecSuccess,
  errSecUserCanceled,
} from '../../src/status.js';
import type { SecAccessControl } from '../../src/types.js';

const PASSWORD = 'correct horse battery staple';
const VERIFIER = applicationPasswordVerifier(PASSWORD);
const T0 = 1_700_000_000_000;
const reason = 'test';

function ac(flags: number, protection = 'aku'): SecAccessControl {
  const { accessControl, error } = SecAccessControlCreateWithFlags(protection, flags);
  assert.ok(accessControl, error?.message);
  return accessControl;
}

const name = (s: number): string => `${s} (${SecCopyErrorMessageString(s)})`;

// ── The matrix ───────────────────────────────────────────────────────────────

const S = errSecSuccess;
const INA = errSecInteractionNotAllowed;
const UC = errSecUserCanceled;
const AF = errSecAuthFailed;

type Outcome = 'no context' | 'interaction not allowed' | 'accepted' | 'declined' | 'right password' | 'wrong password' | 'reuse within duration';
const outcomes: Outcome[] = ['no context', 'interaction not allowed', 'accepted', 'declined', 'right password', 'wrong password', 'reuse within duration'];

/** A context answering as `outcome`; `asked` counts host checks made during the call under test. */
function contextFor(outcome: Outcome): { context: LAContext | undefined; asked: () => number } {
  let asked = 0;
  const accept = (): boolean => {
    asked += 1;
    return true;
  };
  switch (outcome) {
    case 'no context':
      return { context: undefined, asked: () => asked };
    case 'interaction not allowed': {
      const c = new LAContext({ userPresence: accept });
      c.interactionNotAllowed = true;
      return { context: c, asked: () => asked };
    }
    case 'accepted':
      return { context: new LAContext({ userPresence: accept }), asked: () => asked };
    case 'declined':
      return {
        context: new LAContext({
          userPresence: () => {
            asked += 1;
            return false;
          },
        }),
        asked: () => asked,
      };
    case 'right password':
    case 'wrong password': {
      const c = new LAContext({ userPresence: accept });
      assert.equal(c.setCredential(new TextEncoder().encode(outcome === 'right password' ? PASSWORD : 'hunter2'), LACredentialType.applicationPassword), true);
      return { context: c, asked: () => asked };
    }
    case 'reuse within duration': {
      const c = new LAContext({ userPresence: accept });
      c.touchIDAuthenticationAllowableReuseDuration = 60;
      // an earlier call authenticated the user through this context
      assert.equal(authorizeUse(ac(kSecAccessControlUserPresence), 'readSecret', c, { reason, now: T0 }), S);
      asked = 0;
      return { context: c, asked: () => asked };
    }
  }
}

/** Expected status of reading the secret or using the private key, by outcome (in `outcomes` order). */
const matrix: { rule: string; flags: number; expect: number[] }[] = [
  { rule: 'no constraint flag needs nothing', flags: 0, expect: [S, S, S, S, S, S, S] },
  { rule: 'UserPresence is satisfied by the host check', flags: kSecAccessControlUserPresence, expect: [INA, INA, S, UC, S, S, S] },
  { rule: 'BiometryAny is satisfied by the host check', flags: kSecAccessControlBiometryAny, expect: [INA, INA, S, UC, S, S, S] },
  { rule: 'BiometryCurrentSet is satisfied by the host check', flags: kSecAccessControlBiometryCurrentSet, expect: [INA, INA, S, UC, S, S, S] },
  { rule: 'DevicePasscode is satisfied by the host check', flags: kSecAccessControlDevicePasscode, expect: [INA, INA, S, UC, S, S, S] },
  { rule: 'Watch is satisfied by the host check', flags: kSecAccessControlWatch, expect: [INA, INA, S, UC, S, S, S] },
  {
    rule: 'Or of two user checks is one host check',
    flags: kSecAccessControlBiometryAny + kSecAccessControlDevicePasscode + kSecAccessControlOr,
    expect: [INA, INA, S, UC, S, S, S],
  },
  {
    rule: 'Or of user presence and the application password: either suffices, a set credential decides',
    flags: kSecAccessControlUserPresence + kSecAccessControlApplicationPassword + kSecAccessControlOr,
    expect: [INA, INA, S, UC, S, AF, S],
  },
  {
    rule: 'And of user presence and the application password needs both',
    flags: kSecAccessControlUserPresence + kSecAccessControlApplicationPassword + kSecAccessControlAnd,
    expect: [INA, INA, INA, INA, S, AF, INA],
  },
  {
    rule: 'several constraints without Or are an And',
    flags: kSecAccessControlBiometryCurrentSet + kSecAccessControlApplicationPassword,
    expect: [INA, INA, INA, INA, S, AF, INA],
  },
  { rule: 'PrivateKeyUsage alone constrains nothing', flags: kSecAccessControlPrivateKeyUsage, expect: [S, S, S, S, S, S, S] },
  {
    rule: 'PrivateKeyUsage with UserPresence guards key use by the host check',
    flags: kSecAccessControlPrivateKeyUsage + kSecAccessControlUserPresence,
    expect: [INA, INA, S, UC, S, S, S],
  },
  { rule: 'ApplicationPassword needs the right credential', flags: kSecAccessControlApplicationPassword, expect: [INA, INA, INA, INA, S, AF, INA] },
];

const operations: AccessOperation[] = ['readSecret', 'sign', 'readAttributes'];

describe('access-control matrix (flag × operation × context)', () => {
  for (const row of matrix) {
    describe(row.rule, () => {
      for (const operation of operations) {
        outcomes.forEach((outcome, i) => {
          const want = operation === 'readAttributes' ? S : row.expect[i]!;
          const rule = operation === 'readAttributes' ? 'attributes stay readable' : row.rule;
          it(`${operation} with ${outcome} → ${name(want)} (${rule})`, () => {
            const { context, asked } = contextFor(outcome);
            const got = authorizeUse(ac(row.flags), operation, context, { reason, applicationPasswordVerifier: VERIFIER, now: T0 + 30_000 });
            assert.equal(got, want, `got ${name(got)}`);
            if (outcome === 'reuse within duration') assert.equal(asked(), 0, 'a reused context does not ask again');
            if (operation === 'readAttributes') assert.equal(asked(), 0, 'reading attributes never asks');
          });
        });
      }
    });
  }
});

// ── The rules one by one ─────────────────────────────────────────────────────

describe('LAContext', () => {
  it('LACredentialType.applicationPassword is kLACredentialTypeApplicationPassword (0); the reuse maximum is 300 s', () => {
    assert.equal(LACredentialType.applicationPassword, 0);
    assert.equal(LATouchIDAuthenticationMaximumAllowableReuseDuration, 300);
  });

  it('setCredential accepts only the application password type, copies it, and clears with undefined', () => {
    const c = new LAContext();
    assert.equal(c.setCredential(new Uint8Array([1]), 1), false);
    assert.equal(c.isCredentialSet(0), false);
    const pw = new TextEncoder().encode(PASSWORD);
    assert.equal(c.setCredential(pw, LACredentialType.applicationPassword), true);
    pw.fill(0); // the caller may wipe its copy
    assert.equal(authorizeUse(ac(kSecAccessControlApplicationPassword), 'readSecret', c, { reason, applicationPasswordVerifier: VERIFIER }), S);
    assert.equal(c.setCredential(undefined, 0), true);
    assert.equal(c.isCredentialSet(0), false);
  });

  it('the reuse duration is clamped to [0, 300] seconds and defaults to 0', () => {
    const c = new LAContext();
    assert.equal(c.touchIDAuthenticationAllowableReuseDuration, 0);
    c.touchIDAuthenticationAllowableReuseDuration = 1000;
    assert.equal(c.touchIDAuthenticationAllowableReuseDuration, 300);
    c.touchIDAuthenticationAllowableReuseDuration = -5;
    assert.equal(c.touchIDAuthenticationAllowableReuseDuration, 0);
  });

  it('a reused context asks once within its duration, and again after it', () => {
    let asked = 0;
    const c = new LAContext({ userPresence: () => ++asked > 0 });
    c.touchIDAuthenticationAllowableReuseDuration = 10;
    const up = ac(kSecAccessControlUserPresence);
    for (const t of [0, 1000, 5000, 10_000]) assert.equal(authorizeUse(up, 'sign', c, { reason, now: T0 + t }), S);
    assert.equal(asked, 1);
    assert.equal(authorizeUse(up, 'sign', c, { reason, now: T0 + 10_001 }), S);
    assert.equal(asked, 2);
  });

  it('without a reuse duration every use asks', () => {
    let asked = 0;
    const c = new LAContext({ userPresence: () => ++asked > 0 });
    const up = ac(kSecAccessControlUserPresence);
    authorizeUse(up, 'sign', c, { reason, now: T0 });
    authorizeUse(up, 'sign', c, { reason, now: T0 + 1 });
    assert.equal(asked, 2);
  });

  it('And of several user checks asks the host once', () => {
    let asked = 0;
    const c = new LAContext({ userPresence: () => ++asked > 0 });
    assert.equal(authorizeUse(ac(kSecAccessControlBiometryAny + kSecAccessControlDevicePasscode + kSecAccessControlAnd), 'sign', c, { reason }), S);
    assert.equal(asked, 1);
  });

  it('the host check is given the reason, and a check that throws counts as declined', () => {
    const seen: string[] = [];
    const c = new LAContext({ userPresence: (r) => (seen.push(r), true) });
    authorizeUse(ac(kSecAccessControlUserPresence), 'readSecret', c, { reason: 'read the password for mail' });
    assert.deepEqual(seen, ['read the password for mail']);
    const t = new LAContext({
      userPresence: () => {
        throw new Error('no terminal');
      },
    });
    assert.equal(authorizeUse(ac(kSecAccessControlUserPresence), 'readSecret', t, { reason }), UC);
  });

  it('an invalidated context authenticates nothing (errSecAuthFailed) and forgets its credential', () => {
    const c = new LAContext({ userPresence: () => true });
    c.setCredential(new TextEncoder().encode(PASSWORD), 0);
    c.invalidate();
    assert.equal(c.isCredentialSet(0), false);
    assert.equal(c.setCredential(new Uint8Array([1]), 0), false);
    assert.equal(authorizeUse(ac(kSecAccessControlUserPresence), 'sign', c, { reason }), AF);
    assert.equal(authorizeUse(ac(kSecAccessControlApplicationPassword), 'sign', c, { reason, applicationPasswordVerifier: VERIFIER }), AF);
    assert.equal(authorizeUse(ac(kSecAccessControlUserPresence), 'readAttributes', c, { reason }), S);
  });
});

describe('application password', () => {
  it('a set credential works without interaction (interactionNotAllowed does not matter)', () => {
    const c = new LAContext();
    c.interactionNotAllowed = true;
    c.setCredential(PASSWORD, 0);
    assert.equal(authorizeUse(ac(kSecAccessControlApplicationPassword), 'readSecret', c, { reason, applicationPasswordVerifier: VERIFIER }), S);
  });

  it('without a credential the password dialog is shown, once: the entered password is kept by the context', () => {
    let asked = 0;
    const c = new LAContext({ applicationPassword: () => (asked++, PASSWORD) });
    const item = ac(kSecAccessControlApplicationPassword);
    assert.equal(authorizeUse(item, 'readSecret', c, { reason, applicationPasswordVerifier: VERIFIER }), S);
    assert.equal(authorizeUse(item, 'readSecret', c, { reason, applicationPasswordVerifier: VERIFIER }), S);
    assert.equal(asked, 1);
    assert.equal(c.isCredentialSet(0), true);
  });

  it('a wrong password in the dialog is errSecAuthFailed and is not kept; a cancelled dialog is errSecUserCanceled', () => {
    const wrong = new LAContext({ applicationPassword: () => 'nope' });
    assert.equal(authorizeUse(ac(kSecAccessControlApplicationPassword), 'readSecret', wrong, { reason, applicationPasswordVerifier: VERIFIER }), AF);
    assert.equal(wrong.isCredentialSet(0), false);
    const cancel = new LAContext({ applicationPassword: () => undefined });
    assert.equal(authorizeUse(ac(kSecAccessControlApplicationPassword), 'readSecret', cancel, { reason, applicationPasswordVerifier: VERIFIER }), UC);
    const blocked = new LAContext({ applicationPassword: () => PASSWORD });
    blocked.interactionNotAllowed = true;
    assert.equal(authorizeUse(ac(kSecAccessControlApplicationPassword), 'readSecret', blocked, { reason, applicationPasswordVerifier: VERIFIER }), INA);
  });

  it('Or with a set credential does not ask the user', () => {
    let asked = 0;
    const c = new LAContext({ userPresence: () => ++asked > 0 });
    c.setCredential(PASSWORD, 0);
    assert.equal(authorizeUse(ac(kSecAccessControlUserPresence + kSecAccessControlApplicationPassword + kSecAccessControlOr), 'sign', c, { reason, applicationPasswordVerifier: VERIFIER }), S);
    assert.equal(asked, 0);
  });

  it('And with a wrong credential fails before asking the user', () => {
    let asked = 0;
    const c = new LAContext({ userPresence: () => ++asked > 0 });
    c.setCredential('wrong', 0);
    assert.equal(authorizeUse(ac(kSecAccessControlUserPresence + kSecAccessControlApplicationPassword), 'sign', c, { reason, applicationPasswordVerifier: VERIFIER }), AF);
    assert.equal(asked, 0);
  });

  it('verifiers are salted and checked in constant time; a malformed one is errSecDecode', () => {
    const a = applicationPasswordVerifier(PASSWORD);
    assert.notDeepEqual(a, applicationPasswordVerifier(PASSWORD));
    assert.equal(checkApplicationPassword(a, PASSWORD), true);
    assert.equal(checkApplicationPassword(a, new TextEncoder().encode(PASSWORD)), true);
    assert.equal(checkApplicationPassword(a, 'other'), false);
    assert.throws(() => checkApplicationPassword(a.subarray(1), PASSWORD), (e) => e instanceof SecError && e.status === errSecDecode);
    assert.equal(Buffer.from(a).indexOf(Buffer.from(PASSWORD)), -1);
  });

  it('no error message holds the password', () => {
    const c = new LAContext();
    c.setCredential('hunter2-secret', 0);
    try {
      authorize(ac(kSecAccessControlApplicationPassword), 'readSecret', c, { reason, applicationPasswordVerifier: VERIFIER });
      assert.fail('expected errSecAuthFailed');
    } catch (e) {
      assert.ok(e instanceof SecError && e.status === AF);
      assert.doesNotMatch(e.message, /hunter2|correct horse/);
      assert.match(e.message, /not correct/);
    }
  });
});

describe('helpers for the engine', () => {
  it('requiresAuthentication says which items kSecUseAuthenticationUISkip skips', () => {
    assert.equal(requiresAuthentication(undefined, 'readSecret'), false);
    assert.equal(requiresAuthentication(ac(kSecAccessControlPrivateKeyUsage), 'sign'), false);
    assert.equal(requiresAuthentication(ac(kSecAccessControlUserPresence), 'readSecret'), true);
    assert.equal(requiresAuthentication(ac(kSecAccessControlApplicationPassword), 'readSecret'), true);
    assert.equal(requiresAuthentication(ac(kSecAccessControlUserPresence), 'readAttributes'), false);
  });

  it('authorize throws the SecError with why; success returns', () => {
    authorize(ac(0), 'sign', undefined, { reason });
    assert.throws(() => authorize(ac(kSecAccessControlWatch), 'sign', undefined, { reason }), (e) => e instanceof SecError && e.status === INA && /no LAContext/.test(e.message));
  });

  it('protectionAvailable: Always at any time, AfterFirstUnlock once unlocked, WhenUnlocked only while unlocked', () => {
    const table: [string, string, boolean][] = [
      ['dku', 'beforeFirstUnlock', true],
      ['dk', 'locked', true],
      ['cku', 'beforeFirstUnlock', false],
      ['cku', 'locked', true],
      ['ck', 'unlocked', true],
      ['aku', 'locked', false],
      ['ak', 'beforeFirstUnlock', false],
      ['akpu', 'unlocked', true],
    ];
    for (const [p, s, want] of table) assert.equal(protectionAvailable(p as 'ak', s as 'locked'), want, `${p} ${s}`);
  });
});
