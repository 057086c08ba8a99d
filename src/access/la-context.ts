/**
 * LAContext (LocalAuthentication): what a keychain call is given as
 * kSecUseAuthenticationContext to authenticate the user for an item whose
 * access control asks for it.
 *
 * The host supplies the checks: `userPresence(reason)` is synchronous and
 * stands for Touch ID, Face ID or the device passcode prompt (a terminal
 * prompt in the CLI, a callback in tests), answering true when the user
 * authenticated; `applicationPassword(reason)` (our addition) stands for the
 * system's password dialog for kSecAccessControlApplicationPassword items
 * whose context holds no credential, answering the entered password, or
 * undefined when the user cancels.
 *
 * Like Apple's, a context that authenticated the user succeeds again without
 * asking while `touchIDAuthenticationAllowableReuseDuration` (seconds,
 * default 0: never) has not passed since; the duration is clamped to
 * [0, LATouchIDAuthenticationMaximumAllowableReuseDuration] (300 s).
 * `invalidate()` forgets the credential and makes every later evaluation fail
 * (LAErrorInvalidContext, which the keychain reports as errSecAuthFailed).
 * @module
 */
import { copyBytes } from '../schema/values.js';
import { wipe } from '../crypto/wipe.js';

/** LACredentialType (kLACredentialTypeApplicationPassword = 0, LAPublicDefines.h). */
export const LACredentialType = Object.freeze({ applicationPassword: 0 } as const);
export type LACredentialType = (typeof LACredentialType)[keyof typeof LACredentialType];

/** LATouchIDAuthenticationMaximumAllowableReuseDuration, in seconds. */
export const LATouchIDAuthenticationMaximumAllowableReuseDuration = 300;

export interface LAContextOptions {
  /** The synchronous biometry / passcode check: true when the user authenticated, false when they declined. */
  userPresence?: (reason: string) => boolean;
  /** The password dialog for ApplicationPassword items when no credential is set: the password, or undefined when cancelled. */
  applicationPassword?: (reason: string) => Uint8Array | string | undefined;
}

/** What the context answered to a request for user presence. */
export type PresenceOutcome = 'accepted' | 'reused' | 'declined' | 'notInteractive' | 'invalidated';

/** What the context holds for an application password. */
export type PasswordOutcome = { kind: 'credential'; password: Uint8Array } | { kind: 'prompted'; password: Uint8Array } | { kind: 'declined' } | { kind: 'notInteractive' } | { kind: 'invalidated' };

interface ContextState {
  readonly userPresence: ((reason: string) => boolean) | undefined;
  readonly applicationPassword: ((reason: string) => Uint8Array | string | undefined) | undefined;
  credential: Uint8Array | undefined;
  invalidated: boolean;
  /** ms since the epoch of the last successful user authentication through this context. */
  authenticatedAt: number | undefined;
}

let stateOf: (context: LAContext) => ContextState;

export class LAContext {
  readonly #state: ContextState;
  #reuse = 0;
  /** When true, evaluations never ask the user: anything that would is errSecInteractionNotAllowed. */
  interactionNotAllowed = false;

  static {
    stateOf = (context) => context.#state;
  }

  constructor(options: LAContextOptions = {}) {
    const { userPresence, applicationPassword } = options ?? {};
    if (userPresence !== undefined && typeof userPresence !== 'function') throw new TypeError('userPresence must be a function');
    if (applicationPassword !== undefined && typeof applicationPassword !== 'function') throw new TypeError('applicationPassword must be a function');
    this.#state = { userPresence, applicationPassword, credential: undefined, invalidated: false, authenticatedAt: undefined };
  }

  /** Seconds a previous authentication stays good for (0: none); clamped to [0, 300]. */
  get touchIDAuthenticationAllowableReuseDuration(): number {
    return this.#reuse;
  }

  set touchIDAuthenticationAllowableReuseDuration(seconds: number) {
    const n = typeof seconds === 'number' && !Number.isNaN(seconds) ? seconds : 0;
    this.#reuse = Math.min(Math.max(n, 0), LATouchIDAuthenticationMaximumAllowableReuseDuration);
  }

  /**
   * Sets (a copy of) the application password, or clears it with undefined.
   * False for an unknown credential type or an invalidated context.
   */
  setCredential(credential: Uint8Array | string | undefined, type: LACredentialType | number): boolean {
    const s = this.#state;
    if (s.invalidated || type !== LACredentialType.applicationPassword) return false;
    if (credential !== undefined && typeof credential !== 'string' && !(credential instanceof Uint8Array)) return false;
    wipe(s.credential);
    s.credential = credential === undefined ? undefined : typeof credential === 'string' ? new TextEncoder().encode(credential) : copyBytes(credential);
    return true;
  }

  /** Whether a credential of `type` is set. */
  isCredentialSet(type: LACredentialType | number): boolean {
    return type === LACredentialType.applicationPassword && this.#state.credential !== undefined;
  }

  /** Invalidates the context: its credential is wiped and it authenticates nothing more. */
  invalidate(): void {
    const s = this.#state;
    wipe(s.credential);
    s.credential = undefined;
    s.invalidated = true;
    s.authenticatedAt = undefined;
  }
}

/**
 * Asks the context for user presence (biometry, passcode, watch): reused
 * within the reuse duration, else the host check unless interaction is not
 * allowed. A check that throws counts as declined.
 */
export function requestUserPresence(context: LAContext, reason: string, now: number): PresenceOutcome {
  const s = stateOf(context);
  if (s.invalidated) return 'invalidated';
  const reuseMs = context.touchIDAuthenticationAllowableReuseDuration * 1000;
  if (s.authenticatedAt !== undefined && reuseMs > 0 && now >= s.authenticatedAt && now - s.authenticatedAt <= reuseMs) return 'reused';
  if (context.interactionNotAllowed || s.userPresence === undefined) return 'notInteractive';
  let answer = false;
  try {
    answer = s.userPresence(reason) === true;
  } catch {
    answer = false;
  }
  if (!answer) return 'declined';
  s.authenticatedAt = now;
  return 'accepted';
}

/**
 * The application password the context offers: its credential, else the
 * host's password dialog (when interaction is allowed). A prompted password
 * is returned as a fresh copy the caller wipes; keep it with `adoptPassword`.
 */
export function requestApplicationPassword(context: LAContext, reason: string): PasswordOutcome {
  const s = stateOf(context);
  if (s.invalidated) return { kind: 'invalidated' };
  if (s.credential !== undefined) return { kind: 'credential', password: s.credential };
  if (context.interactionNotAllowed || s.applicationPassword === undefined) return { kind: 'notInteractive' };
  let entered: Uint8Array | string | undefined;
  try {
    entered = s.applicationPassword(reason);
  } catch {
    entered = undefined;
  }
  if (entered === undefined || (typeof entered !== 'string' && !(entered instanceof Uint8Array))) return { kind: 'declined' };
  return { kind: 'prompted', password: typeof entered === 'string' ? new TextEncoder().encode(entered) : copyBytes(entered) };
}

/** Keeps a password entered in the dialog as the context's credential (as Apple's dialog does), so it is asked once. */
export function adoptPassword(context: LAContext, password: Uint8Array): void {
  const s = stateOf(context);
  if (s.invalidated) return;
  wipe(s.credential);
  s.credential = copyBytes(password);
}

/**
 * What of a context can leave its process (secitemd's wire): the
 * credential, the interaction flag, the reuse window and when the user last
 * authenticated through it. Its checks (userPresence, applicationPassword)
 * are functions of the process that made it and stay there.
 */
export interface LAContextState {
  readonly credential: Uint8Array | undefined;
  readonly interactionNotAllowed: boolean;
  readonly reuseSeconds: number;
  readonly authenticatedAt: number | undefined;
  readonly invalidated: boolean;
  /** Whether the context has a user-presence check (which stays in its process). */
  readonly canAskPresence: boolean;
}

/** A context's state as it travels (the credential copied). */
export function contextState(context: LAContext): LAContextState {
  const s = stateOf(context);
  return {
    credential: s.credential === undefined ? undefined : copyBytes(s.credential),
    interactionNotAllowed: context.interactionNotAllowed,
    reuseSeconds: context.touchIDAuthenticationAllowableReuseDuration,
    authenticatedAt: s.authenticatedAt,
    invalidated: s.invalidated,
    canAskPresence: s.userPresence !== undefined,
  };
}

/**
 * A context made from a travelled state. Its user-presence check is
 * `userPresence` when given (secitemd's: the answer the client's own check
 * gave, or a request for it), else none: it answers from its credential and
 * reuse window only, and anything that would ask the user is
 * errSecInteractionNotAllowed.
 */
export function contextFromState(state: Omit<LAContextState, 'canAskPresence'>, userPresence?: (reason: string) => boolean): LAContext {
  const context = new LAContext(userPresence === undefined ? {} : { userPresence });
  const s = stateOf(context);
  context.touchIDAuthenticationAllowableReuseDuration = state.reuseSeconds;
  context.interactionNotAllowed = state.interactionNotAllowed;
  s.authenticatedAt = state.authenticatedAt;
  if (state.credential !== undefined) s.credential = copyBytes(state.credential);
  if (state.invalidated) context.invalidate();
  return context;
}
