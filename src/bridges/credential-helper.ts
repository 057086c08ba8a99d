/**
 * `git-credential-secitem` (and `secitem credential-helper`): git's
 * credential helper protocol over internet passwords, the way git's
 * contrib/credential/osxkeychain/git-credential-osxkeychain.c keeps them on
 * macOS, so that `git config credential.helper secitem` is the whole set-up.
 *
 * - Input: `key=value` lines up to an empty line or the end. `protocol`
 *   (imap, imaps, ftp, ftps, https, http, smtp: anything else ends the helper
 *   at once, successfully, with no output), `host` (`host:port`), `path`,
 *   `username`, `password`, `password_expiry_utc`, `oauth_refresh_token`,
 *   `state[]` (this helper's own `secitem:seen=…`); other keys are ignored; a
 *   line without `=` is fatal (`bad input: …`). A line is read as a C string
 *   (a NUL ends it), and a host, path or username that is not UTF-8 is
 *   absent (CFStringCreateWithCString fails).
 * - The item: kSecClassInternetPassword with kSecAttrServer = host,
 *   kSecAttrAccount = username, kSecAttrPath = path, kSecAttrPort = port,
 *   kSecAttrProtocol = the four-char code (https → `htps`, http → `http`,
 *   imaps → `imps`, ftp → `ftp `, …), kSecAttrAuthenticationType = `dflt`;
 *   an attribute git did not send is left out of the query (matches any)
 *   and of the item. The data is the password, then
 *   `\npassword_expiry_utc=…` and `\noauth_refresh_token=…` when given.
 * - `get`: the first matching item: `password=<data>` (the stored lines after
 *   the password come out as the attributes they are), `username=` when git
 *   sent none (up to a NUL), `capability[]=state`, `state[]=secitem:seen=…`
 *   (up to a NUL); nothing when there is none.
 * - `store`: only a complete credential (protocol, host, username,
 *   password), else `fatal: failed to store: -1`; nothing when `state[]` shows
 *   git got exactly this credential from this helper; else added, or the
 *   existing item's data replaced.
 * - `erase`: needs protocol and host; deletes every matching item, or with a
 *   password only those whose stored password (before the metadata) is it.
 * - A keychain failure is `fatal: failed to <action>: <status>`, exit 128, as
 *   git's die() ends a helper. An unknown action does nothing.
 *
 * Differences from osxkeychain: the state marker is `secitem:seen=` (each
 * helper recognises its own); the port is kept as the number git sent (0 to
 * 65535; osxkeychain's signed short turns ports above 32767 negative in its
 * state line only, which this one copies); SecItemUpdate is given the new
 * data without kSecClass (the engine refuses kSecClass among the attributes
 * to update); a last line without its newline is read whole (osxkeychain
 * cuts its last byte off, taking it for the newline).
 * @module
 */
import {
  kSecAttrAccount, kSecAttrAuthenticationType, kSecAttrAuthenticationTypeDefault, kSecAttrPath, kSecAttrPort,
  kSecAttrProtocol, kSecAttrProtocolFTP, kSecAttrProtocolFTPS, kSecAttrProtocolHTTP, kSecAttrProtocolHTTPS,
  kSecAttrProtocolIMAP, kSecAttrProtocolIMAPS, kSecAttrProtocolSMTP, kSecAttrServer, kSecClass,
  kSecClassInternetPassword, kSecMatchLimit, kSecMatchLimitAll, kSecMatchLimitOne, kSecReturnAttributes,
  kSecReturnData, kSecReturnPersistentRef, kSecValueData, kSecValuePersistentRef,
} from '../constants.js';
import { errSecDuplicateItem, errSecItemNotFound, errSecSuccess, type OSStatus } from '../status.js';
import type { SecDictionary } from '../types.js';
import { add, bytes, copyMatching, remove, runAsync, strictText, text, update, type Op } from './store.js';

const PROTOCOLS: Readonly<Record<string, string>> = {
  imap: kSecAttrProtocolIMAP,
  imaps: kSecAttrProtocolIMAPS,
  ftp: kSecAttrProtocolFTP,
  ftps: kSecAttrProtocolFTPS,
  https: kSecAttrProtocolHTTPS,
  http: kSecAttrProtocolHTTP,
  smtp: kSecAttrProtocolSMTP,
};

const STATE = 'secitem:seen=';
const USAGE = 'usage: git credential-secitem <get|store|erase>';

/** What git sent. Byte values (password, …) are kept as bytes. */
interface Credential {
  protocol?: string;
  host?: string;
  port?: number;
  path?: string;
  username?: string;
  password?: Uint8Array;
  passwordExpiryUtc?: Uint8Array;
  oauthRefreshToken?: Uint8Array;
  stateSeen?: Buffer;
}

/** The helper's answer: what to write, and the exit status. */
export interface HelperResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

class Fatal extends Error {}
/** The helper ends here, successfully, with nothing written (an unknown protocol). */
class Done extends Error {}

/** Bytes as a C string holds them: up to the first NUL. */
function cstr(b: Uint8Array): Buffer {
  const nul = b.indexOf(0);
  return Buffer.from(nul === -1 ? b : b.subarray(0, nul));
}

/** CFStringCreateWithCString(…, UTF-8): the text, or undefined (NULL) for bytes that are not UTF-8. */
const cfString = (b: Uint8Array): string | undefined => strictText(b);

/** C's atoi on what follows the colon, as a UInt16. */
function atoiPort(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m === null ? 0 : Number(BigInt.asUintN(16, BigInt(m[1]!)));
}

function readCredential(input: Buffer): Credential {
  const c: Credential = {};
  let start = 0;
  while (start < input.length) {
    let end = input.indexOf(0x0a, start);
    if (end === -1) end = input.length;
    const raw = input.subarray(start, end);
    start = end + 1;
    if (raw.length === 0) break;
    // The helper reads each line as a C string: a NUL ends it.
    const line = cstr(raw);
    const eq = line.indexOf(0x3d);
    if (eq === -1) throw new Fatal(`bad input: ${line.toString()}`);
    const key = line.subarray(0, eq).toString();
    const value = line.subarray(eq + 1);
    switch (key) {
      case 'protocol': {
        const code = PROTOCOLS[value.toString()];
        if (code === undefined) throw new Done();
        c.protocol = code;
        break;
      }
      case 'host': {
        const colon = value.indexOf(0x3a);
        if (colon !== -1) c.port = atoiPort(value.subarray(colon + 1).toString());
        c.host = cfString(colon === -1 ? value : value.subarray(0, colon));
        break;
      }
      case 'path':
        c.path = cfString(value);
        break;
      case 'username':
        c.username = cfString(value);
        break;
      case 'password':
        c.password = new Uint8Array(value);
        break;
      case 'password_expiry_utc':
        c.passwordExpiryUtc = new Uint8Array(value);
        break;
      case 'oauth_refresh_token':
        c.oauthRefreshToken = new Uint8Array(value);
        break;
      case 'state[]':
        if (value.subarray(0, STATE.length).equals(Buffer.from(STATE))) c.stateSeen = value;
        break;
      default:
      // Unknown lines are ignored, for the lines later versions of git will send.
    }
  }
  return c;
}

/** CREATE_SEC_ATTRIBUTES: the attributes git sent, plus the default authentication type. */
function attributesOf(c: Credential): SecDictionary {
  return {
    [kSecClass]: kSecClassInternetPassword,
    ...(c.host !== undefined ? { [kSecAttrServer]: c.host } : {}),
    ...(c.username !== undefined ? { [kSecAttrAccount]: c.username } : {}),
    ...(c.path !== undefined ? { [kSecAttrPath]: c.path } : {}),
    ...(c.port !== undefined ? { [kSecAttrPort]: c.port } : {}),
    ...(c.protocol !== undefined ? { [kSecAttrProtocol]: c.protocol } : {}),
    [kSecAttrAuthenticationType]: kSecAttrAuthenticationTypeDefault,
  };
}

/**
 * encode_state_seen: host, port, path, username and password as this helper
 * last answered them. Each text goes in as a C string (up to a NUL), the
 * password whole, and the value is written and compared as a C string.
 */
function stateSeen(c: Credential): Buffer {
  const parts: Buffer[] = [Buffer.from(STATE)];
  const item = (what: string, value: Uint8Array) => parts.push(Buffer.from(`__${what}=`), Buffer.from(value));
  const textItem = (what: string, value: string | undefined) => value !== undefined && item(what, cstr(Buffer.from(value)));
  textItem('host', c.host);
  if (c.port !== undefined) textItem('port', String((c.port << 16) >> 16));
  textItem('path', c.path);
  textItem('username', c.username);
  // An empty password (or one starting with NUL) is left out, as strlen() leaves it out.
  if (c.password !== undefined && c.password.length > 0 && c.password[0] !== 0) item('password', c.password);
  return cstr(Buffer.concat(parts));
}

function line(what: string, value: string | Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${what}=`), Buffer.from(value), Buffer.from('\n')]);
}

function* find(c: Credential, out: Buffer[]): Op<OSStatus> {
  const r = yield* copyMatching({ ...attributesOf(c), [kSecMatchLimit]: kSecMatchLimitOne, [kSecReturnAttributes]: true, [kSecReturnData]: true });
  if (r.status === errSecItemNotFound) return errSecSuccess;
  if (r.status !== errSecSuccess) return r.status;
  const item = r.result as Record<string, unknown>;
  const data = bytes(item[kSecValueData]);
  out.push(line('password', data));
  const seen: Credential = { ...c, password: data };
  if (c.username === undefined) {
    const account = text(item[kSecAttrAccount]);
    out.push(line('username', cstr(Buffer.from(account))));
    seen.username = account;
  }
  out.push(line('capability[]', 'state'));
  out.push(line('state[]', stateSeen(seen)));
  return errSecSuccess;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function* store(c: Credential): Op<OSStatus> {
  if (c.protocol === undefined || c.host === undefined || c.username === undefined || c.password === undefined) return -1;
  if (c.stateSeen !== undefined && stateSeen(c).equals(c.stateSeen)) return errSecSuccess;
  let data = c.password;
  if (c.passwordExpiryUtc !== undefined) data = concat(data, Buffer.from('\npassword_expiry_utc='), c.passwordExpiryUtc);
  if (c.oauthRefreshToken !== undefined) data = concat(data, Buffer.from('\noauth_refresh_token='), c.oauthRefreshToken);
  const added = yield* add({ ...attributesOf(c), [kSecValueData]: data });
  if (added.status !== errSecDuplicateItem) return added.status;
  const { [kSecClass]: _class, ...attributes } = attributesOf(c);
  return yield* update(attributesOf(c), { ...attributes, [kSecValueData]: data });
}

/** The password part of stored data: up to the first newline. */
function passwordPart(data: Uint8Array): Uint8Array {
  const nl = data.indexOf(0x0a);
  return nl === -1 ? data : data.subarray(0, nl);
}

function* erase(c: Credential): Op<OSStatus> {
  if (c.protocol === undefined || c.host === undefined) return -1;
  const r = yield* copyMatching({ ...attributesOf(c), [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnPersistentRef]: true, [kSecReturnData]: true });
  if (r.status === errSecItemNotFound) return errSecSuccess;
  if (r.status !== errSecSuccess) return r.status;
  for (const item of Array.isArray(r.result) ? (r.result as Record<string, unknown>[]) : []) {
    if (c.password !== undefined && !Buffer.from(passwordPart(bytes(item[kSecValueData]))).equals(Buffer.from(c.password))) continue;
    const status = yield* remove({ [kSecClass]: kSecClassInternetPassword, [kSecValuePersistentRef]: item[kSecValuePersistentRef] as Uint8Array });
    if (status === errSecItemNotFound) continue;
    if (status !== errSecSuccess) return status;
  }
  return errSecSuccess;
}

/** Runs the helper: `action` is argv[1], `input` all of stdin. */
export async function credentialHelper(action: string | undefined, input: Buffer): Promise<HelperResult> {
  const out: Buffer[] = [];
  const result = (exitCode: number, stderr = ''): HelperResult => ({ stdout: Buffer.concat(out), stderr, exitCode });
  if (action === undefined || action === '') return result(128, `fatal: ${USAGE}\n`);
  try {
    const c = readCredential(input);
    let status: OSStatus = errSecSuccess;
    if (action === 'get') status = await runAsync(find(c, out));
    else if (action === 'store') status = await runAsync(store(c));
    else if (action === 'erase') status = await runAsync(erase(c));
    if (status !== errSecSuccess) {
      out.length = 0;
      return result(128, `fatal: failed to ${action}: ${status}\n`);
    }
    return result(0);
  } catch (e) {
    out.length = 0;
    if (e instanceof Done) return result(0);
    if (e instanceof Fatal) return result(128, `fatal: ${e.message}\n`);
    return result(128, `fatal: failed to ${action}: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}

/** The executable: reads stdin to its end, answers on stdout. */
export async function credentialHelperMain(argv: readonly string[]): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const r = await credentialHelper(argv[0], Buffer.concat(chunks));
  if (r.stdout.length > 0) process.stdout.write(r.stdout);
  if (r.stderr !== '') process.stderr.write(r.stderr);
  return r.exitCode;
}
