/**
 * The Secret Service provider: secitemd as `org.freedesktop.secrets` on a
 * session bus, the freedesktop Secret Service API (Service, Collection,
 * Item, Session, Prompt) over the daemon's keychain. docs/daemon.md and
 * the README's "Secret Service" section.
 *
 * - Items of the `login` collection (alias `default`) are generic
 *   passwords (class genp) of the caller's access group: `svce` =
 *   ITEM_SERVICE, `acct` = the item's id (its object path's last element),
 *   `labl` = the label, `desc` = the content type, `v_Data` = the secret,
 *   and the Secret Service attributes (string → string) in `gena` as a
 *   canonical encoding (attributes.ts), so they are sealed with the item.
 *   SearchItems answers from an in-memory blind index of those attributes
 *   (attribute-index.ts: keyed HMACs of each pair), rebuilt from the
 *   keychain whenever the file changed (keychain-changes.ts).
 * - The `session` collection lives in memory (lost when the daemon stops),
 *   per access group as well.
 * - A caller is a bus connection: its pid and uid from the bus
 *   (GetConnectionCredentials), identified once per connection as a
 *   socket caller (caller.ts identifyProcess), then the app profiles:
 *   a registered app gets its own access groups; every other process of
 *   the user shares SHARED_GROUP, as all apps do under gnome-keyring.
 * - Locked keychain: SearchItems finds nothing (the attributes are sealed
 *   too), Locked is true, GetSecret fails with IsLocked, GetSecrets leaves
 *   the items out, Unlock answers a prompt whose Completed says dismissed
 *   (the passcode is given to the daemon, `secitem unlock`, never over the
 *   bus). Nothing waits: `secret-tool lookup` fails at once.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type * as DBus from 'dbus-next';
import {
  kSecAttrAccount, kSecAttrCreationDate, kSecAttrDescription, kSecAttrGeneric, kSecAttrLabel, kSecAttrModificationDate,
  kSecAttrService, kSecClass, kSecClassGenericPassword, kSecMatchLimit, kSecMatchLimitAll, kSecMatchLimitOne, kSecReturnAttributes, kSecReturnData,
  kSecValueData,
} from '../../constants.js';
import type { Keychain, KeychainClient } from '../../secitem/keychain.js';
import { errSecItemNotFound } from '../../status.js';
import type { Entitlements, SecDictionary } from '../../types.js';
import { identifyProcess, uptimeTicks, type Caller, type Refusal } from '../caller.js';
import type { AuditLike, ProfileRegistryLike } from '../server.js';
import { AttributeIndex } from './attribute-index.js';
import { decodeAttributes, encodeAttributes } from './attributes.js';
import { startPrivateBus, type PrivateBus } from './bus.js';
import { openChangeCounter } from './keychain-changes.js';
import { openTransferSession, prepareDhSessions, type TransferSession } from './session.js';

export { decodeAttributes, encodeAttributes } from './attributes.js';

// dbus-next is loaded when a provider starts (the CLI's bundles load it only then).
let Message: typeof DBus.Message;
let Variant: typeof DBus.Variant;
let MessageType: typeof DBus.MessageType;
type Msg = DBus.Message;
async function loadDbus(): Promise<typeof DBus> {
  const m = (await import('dbus-next')) as unknown as { default?: typeof DBus } & typeof DBus;
  const dbus = m.default ?? m;
  ({ Message, Variant, MessageType } = dbus);
  return dbus;
}
/** dbus-next's types declare newError's first argument a string; it is the call answered. */
const newError = (msg: Msg, name: string, text: string): Msg => Message.newError(msg as unknown as string, name, text);

export const BUS_NAME = 'org.freedesktop.secrets';
export const SHARED_GROUP = 'secitem.secret-service';
export const ITEM_SERVICE = 'org.freedesktop.Secret';
const SHARED_ENTITLEMENTS: Entitlements = Object.freeze({ applicationIdentifier: SHARED_GROUP, keychainAccessGroups: Object.freeze([SHARED_GROUP]) });

const ROOT = '/org/freedesktop/secrets';
const COLLECTION_PREFIX = `${ROOT}/collection/`;
const ALIAS_PREFIX = `${ROOT}/aliases/`;
const SESSION_PREFIX = `${ROOT}/session/`;
const PROMPT_PREFIX = `${ROOT}/prompt/`;
const LOGIN = 'login';
const SESSION = 'session';

const I_SERVICE = 'org.freedesktop.Secret.Service';
const I_COLLECTION = 'org.freedesktop.Secret.Collection';
const I_ITEM = 'org.freedesktop.Secret.Item';
const I_SESSION = 'org.freedesktop.Secret.Session';
const I_PROMPT = 'org.freedesktop.Secret.Prompt';
const I_PROPS = 'org.freedesktop.DBus.Properties';
const I_INTROSPECT = 'org.freedesktop.DBus.Introspectable';
const I_PEER = 'org.freedesktop.DBus.Peer';

const E_NO_OBJECT = 'org.freedesktop.Secret.Error.NoSuchObject';
const E_NO_SESSION = 'org.freedesktop.Secret.Error.NoSession';
const E_LOCKED = 'org.freedesktop.Secret.Error.IsLocked';
const E_NOT_SUPPORTED = 'org.freedesktop.DBus.Error.NotSupported';
const E_ACCESS = 'org.freedesktop.DBus.Error.AccessDenied';
const E_ARGS = 'org.freedesktop.DBus.Error.InvalidArgs';
const E_FAILED = 'org.freedesktop.DBus.Error.Failed';
/** How often a lock state changed outside the bus is looked for (ms). */
const LOCK_CHECK_MS = 1_000;

class BusError extends Error {
  constructor(readonly errorName: string, message: string) {
    super(message);
  }
}

export interface SecretServiceOptions {
  keychain: Keychain;
  profiles: ProfileRegistryLike;
  /** The bus to serve on; default DBUS_SESSION_BUS_ADDRESS, else a private dbus-daemon it starts. */
  busAddress?: string;
  log?: (line: string) => void;
  /** The daemon's audit log: one entry per call that reads or changes a secret, or is refused (fn `SecretService.<Method>`). */
  audit?: AuditLike;
  /**
   * The identification of a bus caller (tests may stand one in); default
   * identifyProcess. `connectedBefore` (ticks since boot): when the bus
   * announced the connection, if the provider saw it; the process must have
   * started by then.
   */
  identify?: (pid: number, uid: number, connectedBefore?: number) => Promise<Caller | Refusal>;
}

export interface SecretServiceProvider {
  /** The bus address served on. */
  readonly address: string;
  /** Whether the provider started that bus (a private dbus-daemon, stopped by close). */
  readonly privateBus: boolean;
  close(): Promise<void>;
}

interface Ctx {
  readonly pid: number;
  readonly client: KeychainClient;
  /** The access group its items go to (and the session collection's partition). */
  readonly group: string;
  readonly appId: string;
  /** The attribute index's view for it: the access groups it reads. */
  readonly scope: string;
}

interface ItemData {
  id: string;
  label: string;
  attributes: Record<string, string>;
  secret: Buffer;
  contentType: string;
  created: number;
  modified: number;
}

function matches(attributes: Record<string, string>, query: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(query)) if (attributes[k] !== v) return false;
  return true;
}

function seconds(v: unknown): number {
  return v instanceof Date ? Math.floor(v.getTime() / 1000) : Math.floor(Date.now() / 1000);
}

const INTROSPECTION: Record<string, string> = {
  [I_PROPS]: `<method name="Get"><arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="out"/></method><method name="GetAll"><arg type="s" direction="in"/><arg type="a{sv}" direction="out"/></method><method name="Set"><arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="in"/></method><signal name="PropertiesChanged"><arg type="s"/><arg type="a{sv}"/><arg type="as"/></signal>`,
  [I_INTROSPECT]: `<method name="Introspect"><arg type="s" direction="out"/></method>`,
  [I_SERVICE]: `<method name="OpenSession"><arg name="algorithm" type="s" direction="in"/><arg name="input" type="v" direction="in"/><arg name="output" type="v" direction="out"/><arg name="result" type="o" direction="out"/></method>
<method name="CreateCollection"><arg name="properties" type="a{sv}" direction="in"/><arg name="alias" type="s" direction="in"/><arg name="collection" type="o" direction="out"/><arg name="prompt" type="o" direction="out"/></method>
<method name="SearchItems"><arg name="attributes" type="a{ss}" direction="in"/><arg name="unlocked" type="ao" direction="out"/><arg name="locked" type="ao" direction="out"/></method>
<method name="Unlock"><arg name="objects" type="ao" direction="in"/><arg name="unlocked" type="ao" direction="out"/><arg name="prompt" type="o" direction="out"/></method>
<method name="Lock"><arg name="objects" type="ao" direction="in"/><arg name="locked" type="ao" direction="out"/><arg name="Prompt" type="o" direction="out"/></method>
<method name="GetSecrets"><arg name="items" type="ao" direction="in"/><arg name="session" type="o" direction="in"/><arg name="secrets" type="a{o(oayays)}" direction="out"/></method>
<method name="ReadAlias"><arg name="name" type="s" direction="in"/><arg name="collection" type="o" direction="out"/></method>
<method name="SetAlias"><arg name="name" type="s" direction="in"/><arg name="collection" type="o" direction="in"/></method>
<property name="Collections" type="ao" access="read"/>
<signal name="CollectionCreated"><arg name="collection" type="o"/></signal><signal name="CollectionDeleted"><arg name="collection" type="o"/></signal><signal name="CollectionChanged"><arg name="collection" type="o"/></signal>`,
  [I_COLLECTION]: `<method name="Delete"><arg name="prompt" type="o" direction="out"/></method>
<method name="SearchItems"><arg name="attributes" type="a{ss}" direction="in"/><arg name="results" type="ao" direction="out"/></method>
<method name="CreateItem"><arg name="properties" type="a{sv}" direction="in"/><arg name="secret" type="(oayays)" direction="in"/><arg name="replace" type="b" direction="in"/><arg name="item" type="o" direction="out"/><arg name="prompt" type="o" direction="out"/></method>
<property name="Items" type="ao" access="read"/><property name="Label" type="s" access="readwrite"/><property name="Locked" type="b" access="read"/><property name="Created" type="t" access="read"/><property name="Modified" type="t" access="read"/>
<signal name="ItemCreated"><arg name="item" type="o"/></signal><signal name="ItemDeleted"><arg name="item" type="o"/></signal><signal name="ItemChanged"><arg name="item" type="o"/></signal>`,
  [I_ITEM]: `<method name="Delete"><arg name="Prompt" type="o" direction="out"/></method>
<method name="GetSecret"><arg name="session" type="o" direction="in"/><arg name="secret" type="(oayays)" direction="out"/></method>
<method name="SetSecret"><arg name="secret" type="(oayays)" direction="in"/></method>
<property name="Locked" type="b" access="read"/><property name="Attributes" type="a{ss}" access="readwrite"/><property name="Label" type="s" access="readwrite"/><property name="Created" type="t" access="read"/><property name="Modified" type="t" access="read"/>`,
  [I_SESSION]: `<method name="Close"/>`,
  [I_PROMPT]: `<method name="Prompt"><arg name="window-id" type="s" direction="in"/></method><method name="Dismiss"/>
<signal name="Completed"><arg name="dismissed" type="b"/><arg name="result" type="v"/></signal>`,
};

/**
 * What each method takes (`interface.method` → its in-arguments' signature)
 * and each property's type (`interface.property` → type), as INTROSPECTION
 * declares them: a call of another signature, or a property value of
 * another type, is InvalidArgs (as GDBus answers for gnome-keyring).
 */
const IN_SIGNATURES = new Map<string, string>([[`${I_PEER}.Ping`, '']]);
const PROPERTY_TYPES = new Map<string, string>();
for (const [iface, xml] of Object.entries(INTROSPECTION)) {
  for (const [, name, body] of xml.matchAll(/<method name="([^"]+)"(\/>|>[\s\S]*?<\/method>)/g)) {
    IN_SIGNATURES.set(`${iface}.${name!}`, [...body!.matchAll(/<arg [^>]*type="([^"]+)" direction="in"/g)].map((a) => a[1]).join(''));
  }
  for (const [, name, type] of xml.matchAll(/<property name="([^"]+)" type="([^"]+)"/g)) PROPERTY_TYPES.set(`${iface}.${name!}`, type!);
}

/** A property's value from its variant, which must be of the property's declared type. */
function propertyValue(iface: string, name: string, v: unknown): unknown {
  const type = PROPERTY_TYPES.get(`${iface}.${name}`);
  if (!(v instanceof Variant) || v.signature !== type) throw new BusError(E_ARGS, `${iface}.${name} is of type ${type ?? 'none'}`);
  return v.value as unknown;
}

function introspect(interfaces: string[], children: string[]): string {
  return `<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>${[I_PROPS, I_INTROSPECT, ...interfaces].map((i) => `<interface name="${i}">${INTROSPECTION[i]}</interface>`).join('\n')}${children.map((c) => `<node name="${c}"/>`).join('')}</node>`;
}

/**
 * `bus.send`, with the messages sent in one turn of the event loop written
 * together: the connection's stream is corked at the first and uncorked once
 * that turn's callbacks ran (process.nextTick runs after the promise
 * callbacks that answer the calls read in one chunk). Fewer write system
 * calls, and the bus daemon wakes once for them. dbus-next keeps its stream
 * at `_connection.stream`; without one, messages are sent one by one.
 */
function coalescingSender(bus: DBus.MessageBus): (msg: Msg) => void {
  const stream = (bus as unknown as { _connection?: { stream?: { cork?: unknown; uncork?: unknown } } })._connection?.stream;
  if (typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return (msg) => bus.send(msg);
  const writable = stream as { cork(): void; uncork(): void };
  let corked = false;
  return (msg) => {
    if (!corked) {
      corked = true;
      writable.cork();
      process.nextTick(() => {
        corked = false;
        writable.uncork();
      });
    }
    bus.send(msg);
  };
}

/** Starts the provider on a bus (connecting, claiming BUS_NAME, serving). */
export async function startSecretService(options: SecretServiceOptions): Promise<SecretServiceProvider> {
  const log = options.log ?? ((line: string) => process.stderr.write(`secitemd: ${line}\n`));
  const keychain = options.keychain;
  const dbus = await loadDbus();
  const identify = options.identify ?? ((pid: number, uid: number, connectedBefore?: number) =>
    identifyProcess(pid, uid, connectedBefore === undefined ? {} : { connectedBefore }));
  let privateBus: PrivateBus | undefined;
  let address = options.busAddress ?? process.env['DBUS_SESSION_BUS_ADDRESS'] ?? '';
  if (address === '') {
    privateBus = await startPrivateBus();
    address = privateBus.address;
  }
  const bus = dbus.sessionBus({ busAddress: address });
  bus.on('error', (e: Error) => log(`Secret Service bus error: ${e.message}`));
  const sendReply = coalescingSender(bus);
  let closing = false;
  const index = new AttributeIndex(openChangeCounter(keychain.path));
  prepareDhSessions();

  type Refused = Refusal & { readonly pid: number };
  const callers = new Map<string, Promise<Ctx | Refused>>();
  /**
   * Connections the bus announced (NameOwnerChanged) that have not called
   * yet: when they appeared, and their credentials, asked for at once so the
   * first call does not wait for that round trip.
   */
  const announced = new Map<string, { at: number; credentials: Promise<{ pid: number; uid: number }> }>();
  const sessions = new Map<string, { owner: string; session: TransferSession }>();
  const prompts = new Map<string, { owner: string }>();
  /** The session collection: per access group, items by id. */
  const sessionItems = new Map<string, Map<string, ItemData>>();
  let serial = 0;

  const locked = () => keychain.lockState !== 'unlocked';
  const itemPath = (collection: string, id: string) => `${COLLECTION_PREFIX}${collection}/${id}`;
  const newId = () => randomBytes(8).toString('hex');

  // ── Signals ──
  /**
   * Announces a change of the keychain's lock state as gnome-keyring
   * announces a collection it locked or unlocked: CollectionChanged, and the
   * properties that changed. The Lock method calls it at once; a lock or
   * unlock made elsewhere (`secitem lock-keychain`, the idle lock, an
   * unlock through the socket) is found by a check each second.
   */
  let announcedLocked = locked();
  function announceLockState(): void {
    const now = locked();
    if (now === announcedLocked) return;
    announcedLocked = now;
    signal(ROOT, I_SERVICE, 'CollectionChanged', 'o', [`${COLLECTION_PREFIX}${LOGIN}`]);
    propertiesInvalidated(`${COLLECTION_PREFIX}${LOGIN}`, I_COLLECTION, ['Locked', 'Items']);
  }
  const lockWatch = setInterval(announceLockState, LOCK_CHECK_MS);
  lockWatch.unref();

  function signal(path: string, iface: string, name: string, sig: string, body: unknown[]): void {
    if (closing) return;
    bus.send(Message.newSignal(path, iface, name, sig, body));
  }
  /**
   * PropertiesChanged naming the properties that changed, without their
   * values: signals go to every connection on the bus, and the values (a
   * collection's Items, an item's Label and Attributes) are those of one
   * access group, which only its callers may read (each reads them again,
   * under its own scope).
   */
  function propertiesInvalidated(path: string, iface: string, names: string[]): void {
    signal(path, I_PROPS, 'PropertiesChanged', 'sa{sv}as', [iface, {}, names]);
  }

  // ── Callers ──
  async function busCall(member: string, name: string): Promise<unknown> {
    const reply = await bus.call(new Message({
      destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member, signature: 's', body: [name],
    }));
    return reply?.body[0];
  }
  /** A connection's pid and uid as the bus recorded them: one GetConnectionCredentials call (dbus ≥ 1.7, dbus-broker), else the two older calls. */
  async function credentialsOf(name: string): Promise<{ pid: number; uid: number }> {
    try {
      const credentials = (await busCall('GetConnectionCredentials', name)) as Record<string, { value?: unknown } | undefined> | undefined;
      const pid = credentials?.['ProcessID']?.value;
      const uid = credentials?.['UnixUserID']?.value;
      if (typeof pid === 'number' && typeof uid === 'number') return { pid, uid };
    } catch {
      // not this bus's: ask as before it existed
    }
    const [pid, uid] = await Promise.all([busCall('GetConnectionUnixProcessID', name), busCall('GetConnectionUnixUser', name)]);
    return { pid: Number(pid), uid: Number(uid) };
  }
  function shared(pid: number): Ctx {
    const client = keychain.client(SHARED_ENTITLEMENTS);
    return { pid, client, group: SHARED_GROUP, appId: SHARED_GROUP, scope: client.accessGroups.join('\n') };
  }
  function announce(name: string): void {
    if (closing || announced.has(name) || callers.has(name)) return;
    const credentials = credentialsOf(name);
    credentials.catch(() => {}); // a connection gone before it called: nothing to answer
    announced.set(name, { at: uptimeTicks(), credentials });
  }
  function contextOf(sender: string): Promise<Ctx | Refused> {
    let p = callers.get(sender);
    if (p === undefined) {
      const early = announced.get(sender);
      announced.delete(sender);
      p = (async (): Promise<Ctx | Refused> => {
        const { pid, uid } = await (early?.credentials ?? credentialsOf(sender));
        const who = await identify(pid, uid, early?.at);
        if ('refused' in who) {
          // A process not shown to be a live one of this user's (another uid, gone) is refused; the user's other processes share a group.
          if (who.notThisUser === true) return { refused: who.refused, pid };
          return shared(pid);
        }
        const verdict = options.profiles.identify(who);
        if ('refused' in verdict || verdict.owner) return shared(pid);
        const client = keychain.client(verdict.entitlements);
        return {
          pid, client, group: client.accessGroups[0] ?? verdict.entitlements.applicationIdentifier, appId: verdict.entitlements.applicationIdentifier,
          scope: client.accessGroups.join('\n'),
        };
      })();
      callers.set(sender, p);
      p.catch(() => callers.delete(sender));
    }
    return p;
  }
  function forget(sender: string): void {
    callers.delete(sender);
    announced.delete(sender);
    for (const [path, s] of sessions) if (s.owner === sender) sessions.delete(path);
    for (const [path, s] of prompts) if (s.owner === sender) prompts.delete(path);
  }

  // ── Items of the login collection (the keychain) ──
  const base = (): SecDictionary => ({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: ITEM_SERVICE });
  function fromKeychain(d: Record<string, unknown>): ItemData {
    return {
      id: String(d[kSecAttrAccount]),
      label: typeof d[kSecAttrLabel] === 'string' ? (d[kSecAttrLabel] as string) : '',
      attributes: decodeAttributes(d[kSecAttrGeneric]),
      secret: d[kSecValueData] instanceof Uint8Array ? Buffer.from(d[kSecValueData] as Uint8Array) : Buffer.alloc(0),
      contentType: typeof d[kSecAttrDescription] === 'string' ? (d[kSecAttrDescription] as string) : 'text/plain',
      created: seconds(d[kSecAttrCreationDate]),
      modified: seconds(d[kSecAttrModificationDate]),
    };
  }
  /** A login item by its id: svce and acct are its primary key in its group, so one row, read without a snapshot transaction. */
  function loginItem(ctx: Ctx, id: string, withData: boolean): ItemData | undefined {
    if (locked()) return undefined;
    const r = ctx.client.SecItemCopyMatching({
      ...base(), [kSecAttrAccount]: id, [kSecMatchLimit]: kSecMatchLimitOne, [kSecReturnAttributes]: true, ...(withData ? { [kSecReturnData]: true } : {}),
    });
    return r.status === 0 ? fromKeychain(r.result as Record<string, unknown>) : undefined;
  }
  /** Every login item the caller sees, for the attribute index; throws when the keychain cannot be read (nothing is cached then). */
  function indexedItems(ctx: Ctx): ItemData[] {
    const r = ctx.client.SecItemCopyMatching({ ...base(), [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true });
    if (r.status === errSecItemNotFound) return [];
    if (r.status !== 0) throw new BusError(E_FAILED, `the keychain could not be searched (OSStatus ${r.status})`);
    return (Array.isArray(r.result) ? (r.result as Record<string, unknown>[]) : [r.result as Record<string, unknown>]).map(fromKeychain);
  }
  function groupSession(ctx: Ctx): Map<string, ItemData> {
    let m = sessionItems.get(ctx.group);
    if (m === undefined) sessionItems.set(ctx.group, (m = new Map()));
    return m;
  }

  function collectionOf(path: string): string | undefined {
    if (path === `${ALIAS_PREFIX}default` || path === `${COLLECTION_PREFIX}${LOGIN}`) return LOGIN;
    if (path === `${ALIAS_PREFIX}${SESSION}` || path === `${COLLECTION_PREFIX}${SESSION}`) return SESSION;
    return undefined;
  }
  function parseItemPath(path: string): { collection: string; id: string } | undefined {
    const m = /^\/org\/freedesktop\/secrets\/(?:collection|aliases)\/([A-Za-z0-9_]+)\/([A-Za-z0-9_]+)$/.exec(path);
    if (!m) return undefined;
    const collection = collectionOf(`${path.startsWith(ALIAS_PREFIX) ? ALIAS_PREFIX : COLLECTION_PREFIX}${m[1]}`);
    return collection === undefined ? undefined : { collection, id: m[2]! };
  }
  function findItem(ctx: Ctx, collection: string, id: string, withData: boolean): ItemData | undefined {
    if (collection === SESSION) return groupSession(ctx).get(id);
    return loginItem(ctx, id, withData);
  }
  function requireItem(ctx: Ctx, path: string, withData = false): { collection: string; item: ItemData } {
    const p = parseItemPath(path);
    const item = p && findItem(ctx, p.collection, p.id, withData);
    if (!p || !item) {
      if (p?.collection === LOGIN && locked()) throw new BusError(E_LOCKED, 'the keychain is locked');
      throw new BusError(E_NO_OBJECT, `no such item ${path}`);
    }
    return { collection: p.collection, item };
  }
  function search(ctx: Ctx, collection: string, query: Record<string, string>): string[] {
    if (collection === SESSION) return [...groupSession(ctx).values()].filter((i) => matches(i.attributes, query)).map((i) => itemPath(SESSION, i.id));
    if (locked()) {
      index.clear();
      return [];
    }
    return index.search(ctx.scope, query, () => indexedItems(ctx)).map((id) => itemPath(LOGIN, id));
  }

  function sessionFor(ctx: Ctx, sender: string, path: string): TransferSession {
    const s = sessions.get(path);
    if (!s || s.owner !== sender) throw new BusError(E_NO_SESSION, `no session ${path} of this connection`);
    return s.session;
  }
  function secretStruct(session: string, t: TransferSession, item: ItemData): unknown[] {
    const { parameters, value } = t.encode(item.secret);
    return [session, parameters, value, item.contentType];
  }
  /** A Secret struct of a call (the call's signature checked): its secret and content type. */
  function readSecret(ctx: Ctx, sender: string, v: unknown): { secret: Buffer; contentType: string } {
    const [session, parameters, value, contentType] = v as [string, Buffer, Buffer, string];
    const t = sessionFor(ctx, sender, session);
    try {
      return { secret: t.decode(parameters, value), contentType: contentType || 'text/plain' };
    } catch {
      throw new BusError(E_ARGS, 'the secret could not be decrypted with its session');
    }
  }

  function createItem(ctx: Ctx, sender: string, collection: string, props: Record<string, unknown>, secretArg: unknown, replace: boolean): string {
    const prop = (name: string) => {
      const v = props[`${I_ITEM}.${name}`];
      return v === undefined ? undefined : propertyValue(I_ITEM, name, v);
    };
    const label = (prop('Label') as string | undefined) ?? '';
    const attributes = (prop('Attributes') as Record<string, string> | undefined) ?? {};
    const { secret, contentType } = readSecret(ctx, sender, secretArg);
    const now = Math.floor(Date.now() / 1000);
    if (collection === SESSION) {
      const items = groupSession(ctx);
      const existing = replace ? [...items.values()].find((i) => matches(i.attributes, attributes)) : undefined;
      if (existing) {
        Object.assign(existing, { label, attributes, secret, contentType, modified: now });
        signal(`${COLLECTION_PREFIX}${SESSION}`, I_COLLECTION, 'ItemChanged', 'o', [itemPath(SESSION, existing.id)]);
        return itemPath(SESSION, existing.id);
      }
      const id = newId();
      items.set(id, { id, label, attributes, secret, contentType, created: now, modified: now });
      signal(`${COLLECTION_PREFIX}${SESSION}`, I_COLLECTION, 'ItemCreated', 'o', [itemPath(SESSION, id)]);
      propertiesInvalidated(`${COLLECTION_PREFIX}${SESSION}`, I_COLLECTION, ['Items']);
      return itemPath(SESSION, id);
    }
    if (locked()) throw new BusError(E_LOCKED, 'the keychain is locked');
    const encoded = encodeAttributes(attributes);
    if (replace) {
      const [same] = index.search(ctx.scope, attributes, () => indexedItems(ctx));
      if (same !== undefined) {
        const status = ctx.client.SecItemUpdate({ ...base(), [kSecAttrAccount]: same }, { [kSecAttrLabel]: label, [kSecAttrGeneric]: encoded, [kSecValueData]: secret, [kSecAttrDescription]: contentType });
        if (status !== 0) throw new BusError(E_FAILED, `the item could not be updated (OSStatus ${status})`);
        signal(`${COLLECTION_PREFIX}${LOGIN}`, I_COLLECTION, 'ItemChanged', 'o', [itemPath(LOGIN, same)]);
        return itemPath(LOGIN, same);
      }
    }
    const id = newId();
    const r = ctx.client.SecItemAdd({
      ...base(), [kSecAttrAccount]: id, [kSecAttrLabel]: label, [kSecAttrGeneric]: encoded, [kSecAttrDescription]: contentType, [kSecValueData]: secret,
    });
    if (r.status !== 0) throw new BusError(E_FAILED, `the item could not be added (OSStatus ${r.status})`);
    signal(`${COLLECTION_PREFIX}${LOGIN}`, I_COLLECTION, 'ItemCreated', 'o', [itemPath(LOGIN, id)]);
    propertiesInvalidated(`${COLLECTION_PREFIX}${LOGIN}`, I_COLLECTION, ['Items']);
    return itemPath(LOGIN, id);
  }

  function deleteItem(ctx: Ctx, path: string): void {
    const { collection, item } = requireItem(ctx, path);
    if (collection === SESSION) groupSession(ctx).delete(item.id);
    else {
      const status = ctx.client.SecItemDelete({ ...base(), [kSecAttrAccount]: item.id });
      if (status !== 0) throw new BusError(E_FAILED, `the item could not be deleted (OSStatus ${status})`);
    }
    signal(`${COLLECTION_PREFIX}${collection}`, I_COLLECTION, 'ItemDeleted', 'o', [itemPath(collection, item.id)]);
    propertiesInvalidated(`${COLLECTION_PREFIX}${collection}`, I_COLLECTION, ['Items']);
  }

  function updateItem(ctx: Ctx, path: string, change: Partial<Pick<ItemData, 'label' | 'attributes' | 'secret' | 'contentType'>>): void {
    const { collection, item } = requireItem(ctx, path);
    if (collection === SESSION) Object.assign(item, change, { modified: Math.floor(Date.now() / 1000) });
    else {
      const update: Record<string, unknown> = {};
      if (change.label !== undefined) update[kSecAttrLabel] = change.label;
      if (change.attributes !== undefined) update[kSecAttrGeneric] = encodeAttributes(change.attributes);
      if (change.secret !== undefined) update[kSecValueData] = change.secret;
      if (change.contentType !== undefined) update[kSecAttrDescription] = change.contentType;
      const status = ctx.client.SecItemUpdate({ ...base(), [kSecAttrAccount]: item.id }, update);
      if (status !== 0) throw new BusError(status === -25308 ? E_LOCKED : E_FAILED, `the item could not be changed (OSStatus ${status})`);
    }
    const canonical = itemPath(collection, item.id);
    signal(`${COLLECTION_PREFIX}${collection}`, I_COLLECTION, 'ItemChanged', 'o', [canonical]);
    const changed: string[] = [];
    if (change.label !== undefined) changed.push('Label');
    if (change.attributes !== undefined) changed.push('Attributes');
    if (changed.length > 0) propertiesInvalidated(canonical, I_ITEM, changed);
  }

  function newPrompt(sender: string): string {
    const path = `${PROMPT_PREFIX}p${++serial}`;
    prompts.set(path, { owner: sender });
    return path;
  }

  // ── Properties ──
  function properties(ctx: Ctx, path: string, iface: string): Record<string, InstanceType<typeof Variant>> {
    if (path === ROOT && iface === I_SERVICE) {
      return { Collections: new Variant('ao', [`${COLLECTION_PREFIX}${LOGIN}`, `${COLLECTION_PREFIX}${SESSION}`]) };
    }
    const collection = collectionOf(path);
    if (collection !== undefined && iface === I_COLLECTION) {
      const isLocked = collection === LOGIN && locked();
      return {
        Items: new Variant('ao', search(ctx, collection, {})),
        Label: new Variant('s', collection === LOGIN ? 'Login' : 'Session'),
        Locked: new Variant('b', isLocked),
        Created: new Variant('t', 0n),
        Modified: new Variant('t', 0n),
      };
    }
    if (parseItemPath(path) && iface === I_ITEM) {
      const { collection: c, item } = requireItem(ctx, path);
      void c;
      return {
        Locked: new Variant('b', false),
        Attributes: new Variant('a{ss}', item.attributes),
        Label: new Variant('s', item.label),
        Created: new Variant('t', BigInt(item.created)),
        Modified: new Variant('t', BigInt(item.modified)),
      };
    }
    throw new BusError(E_ARGS, `no interface ${iface} at ${path}`);
  }

  // ── Methods ──
  function dispatch(ctx: Ctx, msg: Msg): { signature: string; body: unknown[] } {
    const sender = msg.sender!;
    const path = msg.path!;
    const b = msg.body as unknown[];
    const iface = msg.interface ?? '';
    const member = msg.member!;
    /** Whether the call is i.m (a call naming no interface: of any interface); InvalidArgs unless its arguments are of i.m's signature. */
    const is = (i: string, m: string) => {
      if ((iface !== i && iface !== '') || member !== m) return false;
      const expected = IN_SIGNATURES.get(`${i}.${m}`);
      if ((msg.signature ?? '') !== expected) throw new BusError(E_ARGS, `${i}.${m} takes (${expected ?? ''}), not (${msg.signature ?? ''})`);
      return true;
    };
    if (is(I_INTROSPECT, 'Introspect')) return { signature: 's', body: [introspection(ctx, path)] };
    // A path under collection/ or aliases/ that names no collection, nor an item of one, is no object: NoSuchObject, as
    // gnome-keyring answers (secretstorage reads it as ItemNotFoundException).
    if ((path.startsWith(COLLECTION_PREFIX) || path.startsWith(ALIAS_PREFIX)) && collectionOf(path) === undefined && !parseItemPath(path)) {
      throw new BusError(E_NO_OBJECT, `no such object ${path}`);
    }

    if (is(I_PROPS, 'Get')) {
      // A login item of a locked keychain is Locked (its other properties, even whether it exists, are sealed: IsLocked).
      if (String(b[0]) === I_ITEM && b[1] === 'Locked' && parseItemPath(path)?.collection === LOGIN && locked()) return { signature: 'v', body: [new Variant('b', true)] };
      const props = properties(ctx, path, String(b[0]));
      const v = props[String(b[1])];
      if (v === undefined) throw new BusError(E_ARGS, `no property ${String(b[1])}`);
      return { signature: 'v', body: [v] };
    }
    if (is(I_PROPS, 'GetAll')) return { signature: 'a{sv}', body: [properties(ctx, path, String(b[0]))] };
    if (is(I_PROPS, 'Set')) {
      if (String(b[0]) === I_ITEM && parseItemPath(path)) {
        if (b[1] === 'Label') updateItem(ctx, path, { label: propertyValue(I_ITEM, 'Label', b[2]) as string });
        else if (b[1] === 'Attributes') updateItem(ctx, path, { attributes: propertyValue(I_ITEM, 'Attributes', b[2]) as Record<string, string> });
        else throw new BusError(E_ARGS, `property ${String(b[1])} is read-only`);
        return { signature: '', body: [] };
      }
      throw new BusError(E_NOT_SUPPORTED, 'this property cannot be set');
    }
    if (is(I_PEER, 'Ping')) return { signature: '', body: [] };

    if (path === ROOT) {
      if (is(I_SERVICE, 'OpenSession')) {
        const input = (b[1] as InstanceType<typeof Variant>).value as unknown;
        let opened: ReturnType<typeof openTransferSession>;
        try {
          opened = openTransferSession(String(b[0]), input);
        } catch (e) {
          throw new BusError(E_ARGS, e instanceof Error ? e.message : String(e));
        }
        if (!opened) throw new BusError(E_NOT_SUPPORTED, `the algorithm ${String(b[0])} is not supported`);
        const sp = `${SESSION_PREFIX}s${++serial}`;
        sessions.set(sp, { owner: sender, session: opened.session });
        const output = typeof opened.output === 'string' ? new Variant('s', opened.output) : new Variant('ay', opened.output);
        return { signature: 'vo', body: [output, sp] };
      }
      if (is(I_SERVICE, 'SearchItems')) {
        const q = b[0] as Record<string, string>;
        return { signature: 'aoao', body: [[...search(ctx, LOGIN, q), ...search(ctx, SESSION, q)], []] };
      }
      if (is(I_SERVICE, 'Unlock')) {
        const objects = b[0] as string[];
        if (!locked()) return { signature: 'aoo', body: [objects, '/'] };
        // Only the session collection's objects are unlocked; the keychain wants its passcode, which no bus prompt carries.
        const unlocked = objects.filter((o) => (collectionOf(o) ?? parseItemPath(o)?.collection) === SESSION);
        return { signature: 'aoo', body: [unlocked, unlocked.length === objects.length ? '/' : newPrompt(sender)] };
      }
      if (is(I_SERVICE, 'Lock')) {
        // Only a login object (the collection or one of its items) locks the keychain; the session collection never locks.
        const login = (b[0] as string[]).filter((o) => (collectionOf(o) ?? parseItemPath(o)?.collection) === LOGIN);
        if (login.length > 0 && keychain.hasPasscode && !locked()) {
          announceLockState(); // an unlock made elsewhere, not yet announced, comes first
          keychain.lock();
          announceLockState();
        }
        return { signature: 'aoo', body: [locked() ? login : [], '/'] };
      }
      if (is(I_SERVICE, 'GetSecrets')) {
        const t = sessionFor(ctx, sender, String(b[1]));
        const out: Record<string, unknown[]> = {};
        for (const p of b[0] as string[]) {
          const parsed = parseItemPath(p);
          const item = parsed && findItem(ctx, parsed.collection, parsed.id, true);
          if (item) out[p] = secretStruct(String(b[1]), t, item);
        }
        return { signature: 'a{o(oayays)}', body: [out] };
      }
      if (is(I_SERVICE, 'ReadAlias')) {
        const name = String(b[0]);
        const c = name === 'default' || name === LOGIN ? LOGIN : name === SESSION ? SESSION : undefined;
        return { signature: 'o', body: [c === undefined ? '/' : `${COLLECTION_PREFIX}${c}`] };
      }
      if (is(I_SERVICE, 'SetAlias')) {
        const c = collectionOf(String(b[1]));
        const name = String(b[0]);
        if ((name === 'default' && c === LOGIN) || (name === SESSION && c === SESSION)) return { signature: '', body: [] };
        throw new BusError(E_NOT_SUPPORTED, 'the aliases are fixed: default → login, session → session');
      }
      if (is(I_SERVICE, 'CreateCollection')) {
        const alias = String(b[1]);
        if (alias === 'default' || alias === LOGIN || alias === '') return { signature: 'oo', body: [`${COLLECTION_PREFIX}${LOGIN}`, '/'] };
        if (alias === SESSION) return { signature: 'oo', body: [`${COLLECTION_PREFIX}${SESSION}`, '/'] };
        throw new BusError(E_NOT_SUPPORTED, 'only the login (default) and session collections exist');
      }
    }
    const collection = collectionOf(path);
    if (collection !== undefined) {
      if (is(I_COLLECTION, 'CreateItem')) {
        const item = createItem(ctx, sender, collection, b[0] as Record<string, unknown>, b[1], Boolean(b[2]));
        return { signature: 'oo', body: [item, '/'] };
      }
      if (is(I_COLLECTION, 'SearchItems')) return { signature: 'ao', body: [search(ctx, collection, b[0] as Record<string, string>)] };
      if (is(I_COLLECTION, 'Delete')) {
        if (collection === LOGIN) throw new BusError(E_NOT_SUPPORTED, 'the login collection is the keychain and cannot be deleted');
        for (const id of [...groupSession(ctx).keys()]) deleteItem(ctx, itemPath(SESSION, id));
        return { signature: 'o', body: ['/'] };
      }
    }
    if (parseItemPath(path)) {
      if (is(I_ITEM, 'GetSecret')) {
        const t = sessionFor(ctx, sender, String(b[0]));
        const { item } = requireItem(ctx, path, true);
        return { signature: '(oayays)', body: [secretStruct(String(b[0]), t, item)] };
      }
      if (is(I_ITEM, 'SetSecret')) {
        const { secret, contentType } = readSecret(ctx, sender, b[0]);
        updateItem(ctx, path, { secret, contentType });
        return { signature: '', body: [] };
      }
      if (is(I_ITEM, 'Delete')) {
        deleteItem(ctx, path);
        return { signature: 'o', body: ['/'] };
      }
    }
    if (path.startsWith(SESSION_PREFIX) && is(I_SESSION, 'Close')) {
      sessionFor(ctx, sender, path);
      sessions.delete(path);
      return { signature: '', body: [] };
    }
    if (path.startsWith(PROMPT_PREFIX)) {
      const p = prompts.get(path);
      if (!p || p.owner !== sender) throw new BusError(E_NO_OBJECT, `no prompt ${path}`);
      if (is(I_PROMPT, 'Prompt') || is(I_PROMPT, 'Dismiss')) {
        prompts.delete(path);
        // Answered after the reply, so the caller's signal subscription is in place.
        setImmediate(() => signal(path, I_PROMPT, 'Completed', 'bv', [true, new Variant('ao', [])]));
        return { signature: '', body: [] };
      }
    }
    throw new BusError('org.freedesktop.DBus.Error.UnknownMethod', `no method ${iface}.${member} at ${path}`);
  }

  /** The introspection data of a path: its interfaces, and its children (a collection's: the items the caller sees in it). */
  function introspection(ctx: Ctx, path: string): string {
    if (path === '/') return introspect([], ['org']);
    if (path === '/org') return introspect([], ['freedesktop']);
    if (path === '/org/freedesktop') return introspect([], ['secrets']);
    if (path === ROOT) return introspect([I_SERVICE], ['collection', 'aliases']);
    if (path === `${ROOT}/collection`) return introspect([], [LOGIN, SESSION]);
    if (path === `${ROOT}/aliases`) return introspect([], ['default', SESSION]);
    const collection = collectionOf(path);
    if (collection !== undefined) return introspect([I_COLLECTION], search(ctx, collection, {}).map((p) => p.slice(p.lastIndexOf('/') + 1)));
    if (parseItemPath(path)) return introspect([I_ITEM], []);
    if (path.startsWith(SESSION_PREFIX)) return introspect([I_SESSION], []);
    if (path.startsWith(PROMPT_PREFIX)) return introspect([I_PROMPT], []);
    return introspect([], []);
  }

  function reply(msg: Msg, out: { signature: string; body: unknown[] } | BusError): void {
    if (closing || (msg.flags & 1) /* NO_REPLY_EXPECTED */) return;
    try {
      sendReply(out instanceof BusError ? newError(msg, out.errorName, out.message) : Message.newMethodReturn(msg, out.signature, out.body as never));
    } catch (e) {
      log(`Secret Service: the answer to ${msg.member} could not be sent (${e instanceof Error ? e.message : String(e)})`);
      bus.send(newError(msg, E_FAILED, 'the answer could not be encoded'));
    }
  }

  const AUDITED = new Set(['CreateItem', 'GetSecret', 'GetSecrets', 'SetSecret', 'Delete', 'Set', 'Lock', 'Unlock']);
  const STATUS_OF: Record<string, number> = { [E_LOCKED]: -25308, [E_NO_OBJECT]: -25300, [E_ACCESS]: -34018, [E_NO_SESSION]: -50, [E_ARGS]: -50, [E_NOT_SUPPORTED]: -4 };
  function audit(who: { pid: number; appId?: string; group?: string }, msg: Msg, out: BusError | undefined, reason?: string): void {
    if (!options.audit || !(AUDITED.has(msg.member ?? '') || reason !== undefined)) return;
    try {
      options.audit.record({
        time: new Date(), applicationIdentifier: who.appId ?? 'unidentified', pid: who.pid,
        fn: `SecretService.${/^[A-Za-z]{1,40}$/.test(msg.member ?? '') ? msg.member! : 'call'}`, cls: 'genp',
        status: out === undefined ? 0 : (STATUS_OF[out.errorName] ?? -25293),
        ...(who.group === undefined ? {} : { group: who.group }),
        ...(reason === undefined ? {} : { reason }),
      });
    } catch (e) {
      log(`Secret Service: the audit entry could not be written (${e instanceof Error ? e.message : String(e)})`);
    }
  }

  bus.addMethodHandler((msg: Msg) => {
    const path = msg.path ?? '';
    if (path !== '/' && path !== '/org' && path !== '/org/freedesktop' && !path.startsWith(ROOT)) return false;
    const sender = msg.sender;
    if (!sender) {
      reply(msg, new BusError(E_ACCESS, 'a call without a sender'));
      return true;
    }
    contextOf(sender).then(
      (ctx) => {
        if ('refused' in ctx) {
          log(`Secret Service: refused ${sender}: ${ctx.refused}`);
          const refusal = new BusError(E_ACCESS, `secitemd refuses this caller: ${ctx.refused}`);
          audit({ pid: ctx.pid }, msg, refusal, ctx.refused);
          reply(msg, refusal);
          return;
        }
        let out: { signature: string; body: unknown[] } | BusError;
        try {
          out = dispatch(ctx, msg);
        } catch (e) {
          out = e instanceof BusError ? e : new BusError(E_FAILED, e instanceof Error ? e.message : String(e));
        }
        audit(ctx, msg, out instanceof BusError ? out : undefined);
        reply(msg, out);
      },
      (e: unknown) => reply(msg, new BusError(E_FAILED, `the caller could not be identified (${e instanceof Error ? e.message : String(e)})`)),
    );
    return true;
  });

  // Connections that come: their credentials are asked for. Connections that leave: their sessions, prompts and identity go.
  bus.on('message', (msg: Msg) => {
    if (msg.type === MessageType.SIGNAL && msg.member === 'NameOwnerChanged' && msg.sender === 'org.freedesktop.DBus') {
      const [name, oldOwner, newOwner] = msg.body as string[];
      if (!name?.startsWith(':')) return;
      if (newOwner === '') forget(name);
      else if (oldOwner === '') announce(name);
    }
  });

  try {
    await bus.call(new Message({
      destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's',
      body: ["type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged'"],
    }));
    const answer = await bus.requestName(BUS_NAME, dbus.NameFlag.DO_NOT_QUEUE);
    if (answer !== dbus.RequestNameReply.PRIMARY_OWNER && answer !== dbus.RequestNameReply.ALREADY_OWNER) {
      throw new Error(`${BUS_NAME} is already owned on the bus ${address} (gnome-keyring?)`);
    }
  } catch (e) {
    clearInterval(lockWatch);
    bus.disconnect();
    index.close();
    await privateBus?.stop();
    throw e;
  }

  let closed: Promise<void> | undefined;
  return {
    address,
    privateBus: privateBus !== undefined,
    close() {
      closed ??= (async () => {
        closing = true;
        clearInterval(lockWatch);
        try {
          await bus.releaseName(BUS_NAME);
        } catch {
          // the bus is gone
        }
        bus.disconnect();
        index.close();
        await privateBus?.stop();
      })();
      return closed;
    },
  };
}
