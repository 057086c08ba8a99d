/**
 * App profiles, signers, trust and registration: how secitemd learns which
 * entitlements a caller has (issue 16, part 2), after Apple's provisioning
 * profiles ("entitlements validated by a provisioning profile") and code
 * requirements ("identity = a code requirement over a signed executable").
 *
 * **Profile** — a JSON document in canonical form (RFC 8785: keys sorted,
 * no whitespace; only strings, booleans and the integer version occur):
 *
 *     { "version": 1,
 *       "applicationIdentifier": "TEAMID1234.com.example.app",
 *       "keychainAccessGroups": ["TEAMID1234.shared"],
 *       "applicationGroups": ["group.com.example"],
 *       "requirement": { "script": { "path": "/abs/app.js", "sha256": "<64 hex>" },
 *                        "executable": { "path": "/abs/bin", "sha256": "<64 hex>" } },
 *       "owner": false,                       (optional)
 *       "expires": "2030-01-01T00:00:00Z" }   (optional, ISO 8601)
 *
 * Validated strictly: no other key; the application identifier is
 * `TEAMID.bundle` with a 10-character alphanumeric team ID and a bundle ID
 * of letters, digits, `-` and `.`-separated parts; groups are non-empty
 * strings without control characters, no duplicates; `*` only in
 * keychainAccessGroups (as Apple honours it); paths absolute; at least one
 * of script and executable.
 *
 * **Signer** — an Ed25519 key pair: `NAME.key` (PKCS#8 PEM, 0600) and
 * `NAME.pub` (SPKI PEM). Its key ID is the SHA-256 of the SPKI DER, in hex.
 *
 * **Signed profile** — a JSON container, one line:
 *
 *     { "format": "secitem-signed-profile", "version": 1,
 *       "signer": "<key ID, 64 hex>", "profile": "<base64 of the canonical bytes>",
 *       "signature": "<base64 of Ed25519 over SIGNING_CONTEXT ‖ canonical bytes>" }
 *
 * The signature covers the exact canonical bytes, prefixed by a context
 * string so that a signer's signature over anything else can never pass for
 * a profile's. The embedded bytes must be canonical (a document that parses
 * the same but is spelled differently is refused).
 *
 * **State** (ProfileRegistry, in the daemon's state directory, 0700):
 * `signers/<keyID>.pub` for each trusted signer and
 * `profiles/<applicationIdentifier>.signed` for each registered profile,
 * every file owner-only (0600) and replaced atomically (temp + rename).
 * `reload()` re-reads both directories only when their modification times
 * changed (or changed too recently to be sure, as git's "racy clean" check),
 * so a running daemon can call it on every connection. Files are only ever
 * changed through this module (rename into the directory); editing one in
 * place is not noticed until the next change or restart.
 *
 * **Identification** — `identify(caller)`: the caller is an interpreter
 * running a script (caller.script set) or a program. A script caller matches
 * only profiles with a script requirement for that path (a profile for
 * `node` itself never vouches for every script node runs); a program caller
 * matches only profiles with an executable requirement and no script
 * requirement. Every hash in the matching profile must equal the caller's;
 * its signer must still be trusted and it must not have expired. A claimed
 * application identifier, when the caller sends one, only narrows the
 * search: it is never believed on its own.
 * @module
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, verify as edVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readdirSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Entitlements } from '../types.js';
import { StateFileError, createFileExclusive, ensurePrivateDir, readCheckedFile, syncDir, writeFileAtomic } from './files.js';

/** A profile, a signature, a signer or the state is not valid; the message never holds key material. */
export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'ProfileError', enumerable: false });
  }
}

/** A file and the SHA-256 (lowercase hex) its content must have. */
export interface FileRequirement {
  readonly path: string;
  readonly sha256: string;
}

/** The code requirement: the entry script (for interpreters) and/or the executable. */
export interface CodeRequirement {
  readonly executable?: FileRequirement;
  readonly script?: FileRequirement;
}

/** An app profile (version 1). */
export interface AppProfile {
  readonly version: 1;
  readonly applicationIdentifier: string;
  readonly keychainAccessGroups: readonly string[];
  readonly applicationGroups: readonly string[];
  readonly requirement: CodeRequirement;
  /** The owner's own tool: the daemon treats it as the device owner. */
  readonly owner?: boolean;
  /** ISO 8601; the profile is refused from this instant on. */
  readonly expires?: string;
}

/** What the daemon knows of a connected process (established by the daemon, never told by the client). */
export interface CallerCredentials {
  readonly pid: number;
  readonly uid: number;
  /** Absolute path of the running executable (/proc/PID/exe). */
  readonly executable: string;
  readonly executableSha256: string;
  /** For an interpreter: the absolute path of the entry script it runs. */
  readonly script?: string;
  readonly scriptSha256?: string;
  /** The process's start time (the daemon uses it against pid reuse). */
  readonly startTime: number;
  /** An application identifier the client claims, if it sends one: only narrows the match, never trusted. */
  readonly applicationIdentifier?: string;
}

export type Identification = { entitlements: Entitlements; owner: boolean } | { refused: string };

/** One registered app, as `apps()` lists it. */
export interface RegisteredApp {
  readonly profile: AppProfile;
  /** The key ID of the profile's signer. */
  readonly signer: string;
  /** Whether that signer is still trusted. */
  readonly trusted: boolean;
  /** Whether the profile has expired (now). */
  readonly expired: boolean;
}

export const SIGNED_PROFILE_FORMAT = 'secitem-signed-profile';
/** The context every profile signature starts with. */
export const SIGNING_CONTEXT = 'secitem app profile v1\n';
const MAX_PROFILE_BYTES = 64 * 1024;

const TEAM_ID = /^[A-Za-z0-9]{10}$/;
const BUNDLE_ID = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const KEY_ID = SHA256_HEX;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

// ---------------------------------------------------------------------------
// Validation and canonical form

/** Whether `id` is an application identifier `TEAMID.bundle`. */
export function isApplicationIdentifier(id: unknown): id is string {
  if (typeof id !== 'string' || id.length > 255) return false;
  const dot = id.indexOf('.');
  return dot === 10 && TEAM_ID.test(id.slice(0, 10)) && BUNDLE_ID.test(id.slice(11));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function onlyKeys(where: string, o: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new ProfileError(`${where}: unknown field "${k}"`);
}

function groupList(name: string, v: unknown, wildcard: boolean): string[] {
  if (!Array.isArray(v)) throw new ProfileError(`${name} must be a list of strings`);
  const seen = new Set<string>();
  for (const g of v) {
    if (typeof g !== 'string' || g.length === 0 || g.length > 255 || CONTROL.test(g)) {
      throw new ProfileError(`${name} must hold non-empty strings without control characters (at most 255 characters)`);
    }
    if (g === '*' && !wildcard) throw new ProfileError(`${name} cannot hold "*" (only keychainAccessGroups can)`);
    if (seen.has(g)) throw new ProfileError(`${name} holds "${g}" twice`);
    seen.add(g);
  }
  return [...v] as string[];
}

function fileRequirement(name: string, v: unknown): FileRequirement {
  if (!isPlainObject(v)) throw new ProfileError(`requirement.${name} must be an object { path, sha256 }`);
  onlyKeys(`requirement.${name}`, v, ['path', 'sha256']);
  const { path, sha256 } = v;
  if (typeof path !== 'string' || !isAbsolute(path) || CONTROL.test(path)) throw new ProfileError(`requirement.${name}.path must be an absolute path`);
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) throw new ProfileError(`requirement.${name}.sha256 must be 64 lowercase hex digits`);
  return { path, sha256 };
}

/** Checks an ISO 8601 date (a day, or a time with a zone). */
export function checkIsoDate(s: unknown): string {
  if (typeof s !== 'string' || !ISO_DATE.test(s) || Number.isNaN(Date.parse(s))) {
    throw new ProfileError('expires must be an ISO 8601 date (2030-01-31 or 2030-01-31T12:00:00Z)');
  }
  return s;
}

/** Validates a parsed profile strictly; returns a fresh, frozen copy. */
export function validateProfile(value: unknown): AppProfile {
  if (!isPlainObject(value)) throw new ProfileError('a profile must be a JSON object');
  onlyKeys('profile', value, ['version', 'applicationIdentifier', 'keychainAccessGroups', 'applicationGroups', 'requirement', 'owner', 'expires']);
  if (value.version !== 1) throw new ProfileError('profile version must be 1');
  if (!isApplicationIdentifier(value.applicationIdentifier)) {
    throw new ProfileError('applicationIdentifier must be TEAMID.bundle.id: a 10-character alphanumeric team ID, a dot, a bundle ID');
  }
  const keychainAccessGroups = groupList('keychainAccessGroups', value.keychainAccessGroups, true);
  const applicationGroups = groupList('applicationGroups', value.applicationGroups, false);
  const r = value.requirement;
  if (!isPlainObject(r)) throw new ProfileError('requirement must be an object { executable?, script? }');
  onlyKeys('requirement', r, ['executable', 'script']);
  if (r.executable === undefined && r.script === undefined) throw new ProfileError('requirement needs an executable or a script');
  const requirement: CodeRequirement = {
    ...(r.executable !== undefined ? { executable: Object.freeze(fileRequirement('executable', r.executable)) } : {}),
    ...(r.script !== undefined ? { script: Object.freeze(fileRequirement('script', r.script)) } : {}),
  };
  if (value.owner !== undefined && typeof value.owner !== 'boolean') throw new ProfileError('owner must be true or false');
  const profile: AppProfile = {
    version: 1,
    applicationIdentifier: value.applicationIdentifier,
    keychainAccessGroups: Object.freeze(keychainAccessGroups),
    applicationGroups: Object.freeze(applicationGroups),
    requirement: Object.freeze(requirement),
    ...(value.owner !== undefined ? { owner: value.owner } : {}),
    ...(value.expires !== undefined ? { expires: checkIsoDate(value.expires) } : {}),
  };
  return Object.freeze(profile);
}

/** RFC 8785 canonical JSON of strings, booleans, integers, arrays and plain objects. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isSafeInteger(v))) return JSON.stringify(v);
  throw new ProfileError('a profile holds only strings, booleans, integers, lists and objects');
}

/** The canonical bytes of a profile (what is signed). */
export function canonicalProfileBytes(profile: AppProfile): Buffer {
  return Buffer.from(canonicalJson(validateProfile(profile)), 'utf8');
}

function parseJson(what: string, bytes: Uint8Array | string): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new ProfileError(`${what} is not valid JSON`);
  }
}

/** Parses a profile document (any JSON spelling) and validates it. */
export function parseProfile(bytes: Uint8Array | string): AppProfile {
  return validateProfile(parseJson('the profile', bytes));
}

/** Whether a profile has expired at `now`. */
export function isExpired(profile: AppProfile, now = Date.now()): boolean {
  return profile.expires !== undefined && Date.parse(profile.expires) <= now;
}

// ---------------------------------------------------------------------------
// Files, hashes and signers

/** SHA-256 (lowercase hex) of a file's content. */
export function sha256File(path: string): string {
  const bytes = readCheckedFile(path, { maxBytes: 1 << 30 });
  return createHash('sha256').update(bytes).digest('hex');
}

/** The key ID of an Ed25519 key (its public half): SHA-256 of its SPKI DER, hex. */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** Parses an Ed25519 public key (SPKI PEM); ProfileError for anything else. */
export function parseSignerPublicKey(pem: Uint8Array | string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: typeof pem === 'string' ? pem : Buffer.from(pem), format: 'pem' });
  } catch {
    throw new ProfileError('not a public key in PEM (SPKI) form');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ProfileError(`a signer key must be Ed25519, not ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/** Parses an Ed25519 private key (PKCS#8 PEM); the message never holds the key. */
export function parseSignerPrivateKey(pem: Uint8Array | string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: typeof pem === 'string' ? pem : Buffer.from(pem), format: 'pem' });
  } catch {
    throw new ProfileError('not a private key in PEM (PKCS#8) form');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ProfileError(`a signer key must be Ed25519, not ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/**
 * Creates a signer: `<base>.key` (PKCS#8 PEM, 0600) and `<base>.pub` (SPKI
 * PEM, 0644). Refuses to replace either file.
 */
export function createSigner(base: string): { keyFile: string; pubFile: string; keyId: string } {
  const keyFile = `${base}.key`;
  const pubFile = `${base}.pub`;
  for (const f of [keyFile, pubFile]) {
    let exists = true;
    try {
      statSync(f);
    } catch {
      exists = false;
    }
    if (exists) throw new ProfileError(`${f} already exists: a signer is never overwritten`);
  }
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  createFileExclusive(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
  createFileExclusive(pubFile, publicKey.export({ type: 'spki', format: 'pem' }) as string, 0o644);
  return { keyFile, pubFile, keyId: keyIdOf(publicKey) };
}

/** Reads a signer's private key file, which must be owner-only (as ssh requires of its keys). */
export function readSignerKey(file: string): KeyObject {
  return parseSignerPrivateKey(readCheckedFile(file, { maxBytes: 16 * 1024, ownerOnly: true }));
}

export interface ProfileInput {
  readonly applicationIdentifier: string;
  readonly keychainAccessGroups?: readonly string[];
  readonly applicationGroups?: readonly string[];
  /** Paths of the executable and/or the entry script: hashed now, stored as real absolute paths. */
  readonly executable?: string;
  readonly script?: string;
  readonly owner?: boolean;
  readonly expires?: string;
}

function requirementFor(path: string): FileRequirement {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (e) {
    throw new ProfileError(`${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return { path: real, sha256: sha256File(real) };
  } catch (e) {
    throw new ProfileError(e instanceof Error ? e.message : String(e));
  }
}

/** Builds a profile, hashing the executable and/or script as they are now. */
export function createProfile(input: ProfileInput): AppProfile {
  return validateProfile({
    version: 1,
    applicationIdentifier: input.applicationIdentifier,
    keychainAccessGroups: [...(input.keychainAccessGroups ?? [])],
    applicationGroups: [...(input.applicationGroups ?? [])],
    requirement: {
      ...(input.executable !== undefined ? { executable: requirementFor(input.executable) } : {}),
      ...(input.script !== undefined ? { script: requirementFor(input.script) } : {}),
    },
    ...(input.owner ? { owner: true } : {}),
    ...(input.expires !== undefined ? { expires: input.expires } : {}),
  });
}

/** The profile document as `profile create` writes it (canonical bytes and a newline). */
export function profileDocument(profile: AppProfile): string {
  return `${canonicalProfileBytes(profile).toString('utf8')}\n`;
}

function signingMessage(canonical: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(SIGNING_CONTEXT, 'utf8'), canonical]);
}

/** Signs a profile: the signed container (one JSON line). */
export function signProfile(profile: AppProfile, privateKey: KeyObject): string {
  const canonical = canonicalProfileBytes(profile);
  const signature = edSign(null, signingMessage(canonical), privateKey);
  const signer = keyIdOf(createPublicKey(privateKey));
  return `${JSON.stringify({
    format: SIGNED_PROFILE_FORMAT,
    version: 1,
    signer,
    profile: canonical.toString('base64'),
    signature: signature.toString('base64'),
  })}\n`;
}

/** A signed container, parsed (its signature not yet checked). */
export interface SignedProfile {
  readonly profile: AppProfile;
  readonly canonical: Buffer;
  readonly signer: string;
  readonly signature: Buffer;
}

function strictBase64(what: string, v: unknown): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw new ProfileError(`${what} must be base64`);
  const b = Buffer.from(v, 'base64');
  if (b.toString('base64') !== v) throw new ProfileError(`${what} must be base64`);
  return b;
}

/** Parses a signed container strictly; the embedded profile must be in canonical form. */
export function parseSignedProfile(bytes: Uint8Array | string): SignedProfile {
  const o = parseJson('the signed profile', bytes);
  if (!isPlainObject(o) || o.format !== SIGNED_PROFILE_FORMAT) throw new ProfileError(`not a signed profile (format "${SIGNED_PROFILE_FORMAT}")`);
  onlyKeys('signed profile', o, ['format', 'version', 'signer', 'profile', 'signature']);
  if (o.version !== 1) throw new ProfileError('signed profile version must be 1');
  if (typeof o.signer !== 'string' || !KEY_ID.test(o.signer)) throw new ProfileError('signer must be a key ID (64 lowercase hex digits)');
  const canonical = strictBase64('profile', o.profile);
  const signature = strictBase64('signature', o.signature);
  if (signature.length !== 64) throw new ProfileError('signature must be 64 bytes (Ed25519)');
  const profile = parseProfile(canonical);
  if (!canonicalProfileBytes(profile).equals(canonical)) throw new ProfileError('the signed profile is not in canonical form');
  return { profile, canonical, signer: o.signer, signature };
}

/** Whether `signed` carries a valid signature by `publicKey` (whose key ID it must name). */
export function verifySignedProfile(signed: SignedProfile, publicKey: KeyObject): boolean {
  if (keyIdOf(publicKey) !== signed.signer) return false;
  try {
    return edVerify(null, signingMessage(signed.canonical), publicKey, signed.signature);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// The registry

const SIGNERS = 'signers';
const PROFILES = 'profiles';

interface Entry {
  readonly profile: AppProfile;
  readonly signer: string;
  readonly trusted: boolean;
}

/** One registered profile's requirement path, for matching. */
function kindOf(p: AppProfile): 'script' | 'executable' {
  return p.requirement.script !== undefined ? 'script' : 'executable';
}

/**
 * The daemon's trusted signers and registered profiles, kept in its state
 * directory, and the identification of callers against them.
 */
export class ProfileRegistry {
  readonly stateDir: string;
  readonly #signersDir: string;
  readonly #profilesDir: string;
  #signers = new Map<string, KeyObject>();
  #entries: Entry[] = [];
  #problems: string[] = [];
  #stamp = '';
  #racy = true;

  private constructor(stateDir: string) {
    this.stateDir = stateDir;
    this.#signersDir = join(stateDir, SIGNERS);
    this.#profilesDir = join(stateDir, PROFILES);
  }

  /** Opens (creating, mode 0700) the state directory and reads it. */
  static open(stateDir: string): ProfileRegistry {
    try {
      ensurePrivateDir(stateDir);
      ensurePrivateDir(join(stateDir, SIGNERS));
      ensurePrivateDir(join(stateDir, PROFILES));
    } catch (e) {
      throw e instanceof StateFileError ? new ProfileError(e.message) : e;
    }
    const r = new ProfileRegistry(stateDir);
    r.reload(true);
    return r;
  }

  /** What reload() found wrong and skipped (a file per line, never its content). */
  problems(): readonly string[] {
    return this.#problems;
  }

  #currentStamp(): { stamp: string; newest: number } {
    const a = statSync(this.#signersDir, { bigint: true });
    const b = statSync(this.#profilesDir, { bigint: true });
    const stamp = `${a.ino}:${a.mtimeNs}:${a.ctimeNs}/${b.ino}:${b.mtimeNs}:${b.ctimeNs}`;
    const newest = Number((a.mtimeNs > b.mtimeNs ? a.mtimeNs : b.mtimeNs) / 1_000_000n);
    return { stamp, newest };
  }

  /**
   * Re-reads trust and registrations when the directories changed since the
   * last read (two stat calls otherwise). Returns whether it re-read them.
   */
  reload(force = false): boolean {
    const { stamp, newest } = this.#currentStamp();
    if (!force && !this.#racy && stamp === this.#stamp) return false;
    const readAt = Date.now();
    const problems: string[] = [];
    const signers = new Map<string, KeyObject>();
    for (const name of readdirSync(this.#signersDir).sort()) {
      if (name.startsWith('.')) continue;
      const file = join(this.#signersDir, name);
      try {
        if (!name.endsWith('.pub')) throw new ProfileError('is not a signer (NAME.pub)');
        const key = parseSignerPublicKey(readCheckedFile(file, { maxBytes: 16 * 1024, ownerOnly: true }));
        const id = keyIdOf(key);
        if (`${id}.pub` !== name) throw new ProfileError('is not named by its key ID');
        signers.set(id, key);
      } catch (e) {
        problems.push(`${file}: ${e instanceof Error ? e.message : String(e)} (ignored)`);
      }
    }
    const entries: Entry[] = [];
    for (const name of readdirSync(this.#profilesDir).sort()) {
      if (name.startsWith('.')) continue;
      const file = join(this.#profilesDir, name);
      try {
        if (!name.endsWith('.signed')) throw new ProfileError('is not a signed profile (APPID.signed)');
        const signed = parseSignedProfile(readCheckedFile(file, { maxBytes: MAX_PROFILE_BYTES, ownerOnly: true }));
        if (`${signed.profile.applicationIdentifier}.signed` !== name) throw new ProfileError('is not named by its application identifier');
        const key = signers.get(signed.signer);
        // A profile whose signer is no longer trusted stays listed (and refused); one whose signature fails is ignored.
        if (key !== undefined && !verifySignedProfile(signed, key)) throw new ProfileError('has a signature that does not verify');
        entries.push({ profile: signed.profile, signer: signed.signer, trusted: key !== undefined });
      } catch (e) {
        problems.push(`${file}: ${e instanceof Error ? e.message : String(e)} (ignored)`);
      }
    }
    this.#signers = signers;
    this.#entries = entries;
    this.#problems = problems;
    this.#stamp = stamp;
    // A change within the file system's timestamp granularity of this read would not move the stamp: read again next time.
    this.#racy = newest >= readAt - 2000;
    return true;
  }

  /** Trusts a signer (its SPKI PEM); returns its key ID. */
  trust(signerPub: Uint8Array | string): string {
    const key = parseSignerPublicKey(signerPub);
    const id = keyIdOf(key);
    writeFileAtomic(join(this.#signersDir, `${id}.pub`), key.export({ type: 'spki', format: 'pem' }) as string);
    this.reload(true);
    return id;
  }

  /**
   * Stops trusting a signer, by key ID (or a unique prefix of at least 8
   * hex digits); its profiles stay registered but are refused. Returns the
   * full key ID.
   */
  untrust(keyIdOrPrefix: string): string {
    this.reload();
    const matches = [...this.#signers.keys()].filter((id) => keyIdOrPrefix.length >= 8 && id.startsWith(keyIdOrPrefix.toLowerCase()));
    if (matches.length !== 1) {
      throw new ProfileError(matches.length === 0 ? `no trusted signer has key ID ${keyIdOrPrefix}` : `key ID prefix ${keyIdOrPrefix} is ambiguous`);
    }
    unlinkSync(join(this.#signersDir, `${matches[0]}.pub`));
    syncDir(this.#signersDir);
    this.reload(true);
    return matches[0];
  }

  /** The trusted signers' key IDs. */
  signers(): string[] {
    this.reload();
    return [...this.#signers.keys()];
  }

  /**
   * Registers a signed profile: its signer must be trusted, its signature
   * valid and it must not have expired. Replaces an earlier profile of the
   * same application identifier.
   */
  register(signedProfile: Uint8Array | string, now = Date.now()): RegisteredApp {
    const signed = parseSignedProfile(signedProfile);
    this.reload();
    const key = this.#signers.get(signed.signer);
    if (key === undefined) throw new ProfileError(`the profile's signer ${signed.signer.slice(0, 16)} is not trusted (secitem daemon trust SIGNER.pub)`);
    if (!verifySignedProfile(signed, key)) throw new ProfileError('the profile\'s signature does not verify');
    if (isExpired(signed.profile, now)) throw new ProfileError(`the profile expired on ${signed.profile.expires}`);
    const container = typeof signedProfile === 'string' ? signedProfile : Buffer.from(signedProfile).toString('utf8');
    writeFileAtomic(join(this.#profilesDir, `${signed.profile.applicationIdentifier}.signed`), container.endsWith('\n') ? container : `${container}\n`);
    this.reload(true);
    return { profile: signed.profile, signer: signed.signer, trusted: true, expired: false };
  }

  /** Removes an app's profile; false when none was registered. */
  unregister(appId: string): boolean {
    if (!isApplicationIdentifier(appId)) throw new ProfileError(`"${appId}" is not an application identifier`);
    try {
      unlinkSync(join(this.#profilesDir, `${appId}.signed`));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    syncDir(this.#profilesDir);
    this.reload(true);
    return true;
  }

  /** The registered apps, by application identifier. */
  apps(now = Date.now()): RegisteredApp[] {
    this.reload();
    return this.#entries
      .map((e) => ({ profile: e.profile, signer: e.signer, trusted: e.trusted, expired: isExpired(e.profile, now) }))
      .sort((a, b) => (a.profile.applicationIdentifier < b.profile.applicationIdentifier ? -1 : 1));
  }

  /**
   * Who the caller is: the entitlements of the one registered profile whose
   * code requirement it meets, or why it is refused. The reason names paths
   * and identifiers only.
   */
  identify(caller: CallerCredentials, now = Date.now()): Identification {
    this.reload();
    const isScript = caller.script !== undefined;
    const kind = isScript ? 'script' : 'executable';
    const path = isScript ? caller.script! : caller.executable;
    let candidates = this.#entries.filter((e) => kindOf(e.profile) === kind && e.profile.requirement[kind]!.path === path);
    if (candidates.length === 0) return { refused: `no registered profile matches the ${kind} ${path}` };
    if (caller.applicationIdentifier !== undefined) {
      candidates = candidates.filter((e) => e.profile.applicationIdentifier === caller.applicationIdentifier);
      if (candidates.length === 0) return { refused: `the ${kind} ${path} matches no registered profile of ${JSON.stringify(String(caller.applicationIdentifier).slice(0, 255))}` };
    }
    const unchanged = candidates.filter((e) => {
      const r = e.profile.requirement;
      if (r.script !== undefined && (r.script.path !== caller.script || r.script.sha256 !== caller.scriptSha256)) return false;
      if (r.executable !== undefined && (r.executable.path !== caller.executable || r.executable.sha256 !== caller.executableSha256)) return false;
      return true;
    });
    if (unchanged.length === 0) {
      const scriptChanged = candidates.some((e) => e.profile.requirement.script !== undefined && e.profile.requirement.script.sha256 !== caller.scriptSha256);
      return { refused: `the ${scriptChanged ? 'script' : 'executable'} changed since its profile was signed` };
    }
    const trusted = unchanged.filter((e) => e.trusted && this.#signers.has(e.signer));
    if (trusted.length === 0) {
      const e = unchanged[0];
      return { refused: `the profile of ${e.profile.applicationIdentifier} is signed by a signer this daemon does not trust (${e.signer.slice(0, 16)})` };
    }
    const current = trusted.filter((e) => !isExpired(e.profile, now));
    if (current.length === 0) {
      const e = trusted[0];
      return { refused: `the profile of ${e.profile.applicationIdentifier} expired on ${e.profile.expires}` };
    }
    if (current.length > 1) {
      return { refused: `several registered profiles match the ${kind} ${path} (${current.map((e) => e.profile.applicationIdentifier).join(', ')}): unregister all but one` };
    }
    const p = current[0].profile;
    return {
      entitlements: {
        applicationIdentifier: p.applicationIdentifier,
        keychainAccessGroups: [...p.keychainAccessGroups],
        applicationGroups: [...p.applicationGroups],
      },
      owner: p.owner === true,
    };
  }
}
