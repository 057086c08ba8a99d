/**
 * Access control enforced: whether an operation on an item protected by a
 * SecAccessControl may go ahead, given the LAContext the call was passed
 * (kSecUseAuthenticationContext).
 *
 * The rules (SecAccessControlCreateFlags):
 * - Reading attributes is never constrained: only an item's secret and the
 *   use of a private key are.
 * - No constraint flag (UserPresence, BiometryAny, BiometryCurrentSet,
 *   DevicePasscode, Watch, ApplicationPassword): success.
 * - UserPresence, BiometryAny, BiometryCurrentSet, DevicePasscode and Watch
 *   are each satisfied by the context's host check, `userPresence(reason)`
 *   (Touch ID, Face ID, passcode or watch alike, here): several of them are
 *   answered by that one check, which is asked once.
 * - ApplicationPassword: the context's credential (setCredential) must match
 *   the item's verifier (errSecAuthFailed when it does not). Without one, the
 *   context's password dialog is shown if it has one and interaction is
 *   allowed (as Apple prompts for the password; the entered password is kept
 *   as the context's credential), else errSecInteractionNotAllowed.
 * - Or: any one constraint suffices (a credential, when set, is tried first
 *   and decides: a wrong one is errSecAuthFailed). And, and the default when
 *   there are several without Or: all of them (the password first, so a
 *   wrong one does not bother the user).
 * - PrivateKeyUsage: the access control is for a private key's operations
 *   (sign, decrypt, derive), which its constraints guard. Apple moves the
 *   constraints from the item's decrypt operation to those; here they guard
 *   reading the secret as well, so the flag never leaves a secret unguarded.
 * - No context, or one whose interactionNotAllowed is set, when the user
 *   would have to be asked: errSecInteractionNotAllowed. The user declining
 *   (or cancelling the password dialog): errSecUserCanceled. An invalidated
 *   context: errSecAuthFailed (LAErrorInvalidContext).
 * - A context that authenticated the user succeeds again without asking
 *   within its touchIDAuthenticationAllowableReuseDuration.
 *
 * No message here ever holds a secret.
 * @module
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import {
  SecError,
  errSecAuthFailed,
  errSecDecode,
  errSecInteractionNotAllowed,
  errSecParam,
  errSecSuccess,
  errSecUserCanceled,
  type OSStatus,
} from '../status.js';
import { protectionClassTable, type ProtectionClass } from '../schema/protection.js';
import {
  kSecAccessControlApplicationPassword,
  kSecAccessControlBiometryAny,
  kSecAccessControlBiometryCurrentSet,
  kSecAccessControlDevicePasscode,
  kSecAccessControlOr,
  kSecAccessControlUserPresence,
  kSecAccessControlWatch,
} from '../constants.js';
import type { LockState, SecAccessControl } from '../types.js';
import { wipe } from '../crypto/wipe.js';
import { LACredentialType, adoptPassword, requestApplicationPassword, requestUserPresence, type LAContext } from './la-context.js';

/** What is done with an item: its secret read, its private key used, or its attributes read. */
export type AccessOperation = 'readSecret' | 'sign' | 'decrypt' | 'derive' | 'readAttributes';

export interface AuthorizeOptions {
  /** The text shown with the prompt (kSecUseOperationPrompt, or the CryptoKit operation). */
  reason: string;
  /** The item's application-password verifier (applicationPasswordVerifier), for ApplicationPassword items. */
  applicationPasswordVerifier?: Uint8Array;
  /** The current time in ms (tests); Date.now() by default. */
  now?: number;
}

const has = (flags: number, b: number): boolean => ((flags >>> 0) & b) !== 0;

const USER_CHECKS = [
  kSecAccessControlUserPresence,
  kSecAccessControlBiometryAny,
  kSecAccessControlBiometryCurrentSet,
  kSecAccessControlDevicePasscode,
  kSecAccessControlWatch,
];

function needsUserCheck(flags: number): boolean {
  return USER_CHECKS.some((b) => has(flags, b));
}

/**
 * Whether `operation` on an item with this access control needs the user
 * (or an application password): what kSecUseAuthenticationUISkip skips.
 */
export function requiresAuthentication(accessControl: SecAccessControl | undefined, operation: AccessOperation): boolean {
  if (accessControl === undefined || operation === 'readAttributes') return false;
  return needsUserCheck(accessControl.flags) || has(accessControl.flags, kSecAccessControlApplicationPassword);
}

type Verdict = { status: OSStatus; detail?: string };
const OK: Verdict = { status: errSecSuccess };
const notInteractive = (why: string): Verdict => ({ status: errSecInteractionNotAllowed, detail: why });
const canceled = (why: string): Verdict => ({ status: errSecUserCanceled, detail: why });
const invalidated: Verdict = { status: errSecAuthFailed, detail: 'the authentication context was invalidated' };

function presence(context: LAContext, reason: string, now: number): Verdict {
  switch (requestUserPresence(context, reason, now)) {
    case 'accepted':
    case 'reused':
      return OK;
    case 'declined':
      return canceled('the user declined to authenticate');
    case 'invalidated':
      return invalidated;
    case 'notInteractive':
      return notInteractive(context.interactionNotAllowed ? 'the item needs user authentication and the context does not allow interaction' : 'the item needs user authentication and the context cannot ask the user');
  }
}

/** Checks the application password; on success `adopt` keeps a prompted one as the context's credential. */
function password(context: LAContext, reason: string, verifier: Uint8Array | undefined): Verdict & { adopt?: Uint8Array } {
  if (verifier === undefined) return { status: errSecParam, detail: 'the item has no application password verifier' };
  const offered = requestApplicationPassword(context, reason);
  switch (offered.kind) {
    case 'invalidated':
      return invalidated;
    case 'declined':
      return canceled('the user cancelled the application password');
    case 'notInteractive':
      return notInteractive('the item needs its application password and the context holds none');
    case 'credential':
    case 'prompted': {
      const good = checkApplicationPassword(verifier, offered.password);
      if (!good) {
        if (offered.kind === 'prompted') wipe(offered.password);
        return { status: errSecAuthFailed, detail: 'the application password is not correct' };
      }
      return offered.kind === 'prompted' ? { status: errSecSuccess, adopt: offered.password } : OK;
    }
  }
}

function evaluate(accessControl: SecAccessControl | undefined, operation: AccessOperation, context: LAContext | undefined, options: AuthorizeOptions): Verdict {
  if (accessControl === undefined || operation === 'readAttributes') return OK;
  const flags = accessControl.flags;
  const userCheck = needsUserCheck(flags);
  const appPassword = has(flags, kSecAccessControlApplicationPassword);
  if (!userCheck && !appPassword) return OK;
  if (context === undefined) return notInteractive('the item needs user authentication and no LAContext was given');
  const reason = typeof options?.reason === 'string' ? options.reason : '';
  const now = options?.now ?? Date.now();
  const verifier = options?.applicationPasswordVerifier;
  let adopt: Uint8Array | undefined;
  try {
    if (has(flags, kSecAccessControlOr) && userCheck && appPassword) {
      // any one suffices: a credential the app set decides without asking the user
      if (context.isCredentialSet(LACredentialType.applicationPassword)) return password(context, reason, verifier);
      const u = presence(context, reason, now);
      if (u.status !== errSecInteractionNotAllowed) return u;
      const p = password(context, reason, verifier);
      adopt = p.adopt;
      if (p.status === errSecSuccess && adopt) adoptPassword(context, adopt);
      return p.status === errSecInteractionNotAllowed ? u : p;
    }
    // And (explicit or by default), or a single kind of constraint
    if (appPassword) {
      const p = password(context, reason, verifier);
      adopt = p.adopt;
      if (p.status !== errSecSuccess) return p;
    }
    if (userCheck) {
      const u = presence(context, reason, now);
      if (u.status !== errSecSuccess) return u;
    }
    if (adopt) adoptPassword(context, adopt);
    return OK;
  } finally {
    wipe(adopt);
  }
}

/**
 * The status of `operation` on an item protected by `accessControl`, given
 * the call's context: errSecSuccess, errSecInteractionNotAllowed,
 * errSecUserCanceled or errSecAuthFailed (errSecParam when an
 * ApplicationPassword item has no verifier). See the module's rules.
 */
export function authorizeUse(accessControl: SecAccessControl | undefined, operation: AccessOperation, context: LAContext | undefined, options: AuthorizeOptions): OSStatus {
  return evaluate(accessControl, operation, context, options).status;
}

/** authorizeUse as a thrown SecError (with why) when it is not errSecSuccess. */
export function authorize(accessControl: SecAccessControl | undefined, operation: AccessOperation, context: LAContext | undefined, options: AuthorizeOptions): void {
  const v = evaluate(accessControl, operation, context, options);
  if (v.status !== errSecSuccess) throw new SecError(v.status, v.detail);
}

/**
 * Whether an item of this protection class can be used in this lock state:
 * Always classes at any time; WhenUnlocked classes only while unlocked; the
 * others (AfterFirstUnlock) once the keychain has been unlocked since it
 * was opened. Otherwise the keychain answers errSecInteractionNotAllowed.
 */
export function protectionAvailable(protection: ProtectionClass, lockState: LockState): boolean {
  const def = protectionClassTable.find((p) => p.code === protection);
  if (def === undefined) return false;
  if (!def.passcodeBound) return true;
  if (def.droppedOnLock) return lockState === 'unlocked';
  return lockState !== 'beforeFirstUnlock';
}

// ── Application password verifiers ──────────────────────────────────────────

const VERIFIER_MAGIC = [0x41, 0x50]; // "AP"
const VERIFIER_VERSION = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const LOG_N = 14;
const R = 8;
const P = 1;
const VERIFIER_BYTES = 2 + 1 + 3 + SALT_BYTES + HASH_BYTES;

function asBytes(password: Uint8Array | string): Uint8Array {
  if (typeof password === 'string') return new TextEncoder().encode(password);
  if (password instanceof Uint8Array) return password;
  throw new SecError(errSecParam, 'an application password must be bytes or text');
}

function derive(password: Uint8Array, salt: Uint8Array, logN: number, r: number, p: number): Buffer {
  return scryptSync(password, salt, HASH_BYTES, { N: 2 ** logN, r, p, maxmem: 256 * 2 ** logN * r + 1024 * 1024 });
}

/**
 * A salted, slow verifier of an application password (scrypt, N = 2^14,
 * r = 8, p = 1), to store with an ApplicationPassword item:
 * "AP" ‖ version ‖ log2 N ‖ r ‖ p ‖ salt (16) ‖ hash (32).
 */
export function applicationPasswordVerifier(password: Uint8Array | string): Uint8Array {
  const pw = asBytes(password);
  const salt = randomBytes(SALT_BYTES);
  const hash = derive(pw, salt, LOG_N, R, P);
  if (typeof password === 'string') wipe(pw);
  const out = new Uint8Array(VERIFIER_BYTES);
  out.set([...VERIFIER_MAGIC, VERIFIER_VERSION, LOG_N, R, P]);
  out.set(salt, 6);
  out.set(hash, 6 + SALT_BYTES);
  wipe(hash);
  return out;
}

/** Whether `password` matches `verifier` (constant time); errSecDecode for a malformed verifier. */
export function checkApplicationPassword(verifier: Uint8Array, password: Uint8Array | string): boolean {
  if (
    !(verifier instanceof Uint8Array) ||
    verifier.length !== VERIFIER_BYTES ||
    verifier[0] !== VERIFIER_MAGIC[0] ||
    verifier[1] !== VERIFIER_MAGIC[1] ||
    verifier[2] !== VERIFIER_VERSION ||
    verifier[3]! < 10 ||
    verifier[3]! > 20 ||
    verifier[4]! < 1 ||
    verifier[4]! > 16 ||
    verifier[5]! < 1 ||
    verifier[5]! > 4
  ) {
    throw new SecError(errSecDecode, 'not an application password verifier');
  }
  const pw = asBytes(password);
  const hash = derive(pw, verifier.subarray(6, 6 + SALT_BYTES), verifier[3]!, verifier[4]!, verifier[5]!);
  try {
    return timingSafeEqual(hash, verifier.subarray(6 + SALT_BYTES));
  } finally {
    wipe(hash);
    if (typeof password === 'string') wipe(pw);
  }
}
