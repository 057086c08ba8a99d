/**
 * secitemd end to end: a daemon on a Unix socket in a temp directory, stand-in
 * profiles, client processes; refusals, isolation, fuzzed frames, and stops
 * by SIGTERM and SIGKILL. Every server here stops itself.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  connectKeychain, openKeychain, SecError,
  kSecClass, kSecClassGenericPassword, kSecAttrService, kSecAttrAccount, kSecValueData, kSecReturnData, kSecReturnAttributes,
  kSecReturnPersistentRef, kSecValuePersistentRef, kSecMatchLimit, kSecMatchLimitAll, kSecAttrKeyType, kSecAttrKeyTypeECSECPrimeRandom,
  kSecAttrKeySizeInBits, kSecKeyAlgorithmECDSASignatureMessageX962SHA256, kSecAttrCreationDate, kSecAttrGeneric, SecCopyLastError,
  errSecSuccess, errSecMissingEntitlement, errSecParam, errSecItemNotFound, errSecDuplicateItem, errSecNoSuchClass, errSecInternalComponent,
  SecPKCS12Import, kSecImportItemIdentity, kSecValueRef, kSecClassIdentity, kSecAttrLabel, SecIdentityCopyPrivateKey, SecKeyCopyExternalRepresentation,
  SecKeyVerifySignature, SecKeyCopyPublicKey, kSecReturnRef, type SecIdentity,
  LAContext, LACredentialType, type LAContextOptions, SecAccessControlCreateWithFlags, kSecAttrAccessibleWhenUnlocked, kSecAccessControlApplicationPassword,
  kSecAccessControlUserPresence, kSecAttrAccessControl, kSecUseAuthenticationContext, errSecAuthFailed, errSecInteractionNotAllowed, kSecUseOperationPrompt,
  kSecPrivateKeyAttrs, kSecAttrIsPermanent, kSecAttrApplicationTag, kSecClassKey, kSecAttrKeyClass, kSecAttrKeyClassPrivate, kSecAttrKeyClassPublic,
  SecKeyCreateWithData, SecKeyCreateSignature, errSecUserCanceled, type SecKey,
  kSecAttrTokenID, kSecAttrTokenIDSecureEnclave, kSecAttrAccessibleAlwaysThisDeviceOnly, kSecAccessControlPrivateKeyUsage,
} from '../../src/index.js';
import { OpenSSLDir } from '../objects/openssl-material.js';
import { RemoteIdentity, RemoteKey } from '../../src/daemon/client.js';
import { startDaemon, takeLock, type AuditEntry, type Daemon, type ProfileRegistryLike } from '../../src/daemon/server.js';
import type { Caller } from '../../src/daemon/caller.js';
import { encodeFrame, MAX_FRAME } from '../../src/daemon/wire.js';
import type { Entitlements } from '../../src/types.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
const utf8 = (s: string) => new TextEncoder().encode(s);
const genp = (svce: string, extra: Record<string, unknown> = {}) => ({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: svce, ...extra });

/** Stand-in profiles: callers by pid (the tests know their children's pids). */
class PidProfiles implements ProfileRegistryLike {
  readonly byPid = new Map<number, { entitlements: Entitlements; owner: boolean }>();
  readonly seen: Caller[] = [];
  identify(caller: Caller) {
    this.seen.push(caller);
    return this.byPid.get(caller.pid) ?? { refused: 'no profile matches this caller' };
  }
}

interface Run {
  dir: string;
  keychain: string;
  socket: string;
}
function tempRun(): Run {
  const dir = mkdtempSync(join(tmpdir(), 'secitemd-'));
  return { dir, keychain: join(dir, 'kc.keychain-db'), socket: join(dir, 'run', 'secitemd.sock') };
}

/** Runs a child node script; resolves its stdout lines when it exits (killed after `timeoutMs`). */
function runChild(args: string[], timeoutMs = 30_000): { child: ChildProcess; done: Promise<{ code: number | null; lines: string[] }> } {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; lines: string[] }>((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (err.trim()) process.stderr.write(`[child ${args[0]}] ${err}`);
      resolve({ code, lines: out.split('\n').filter(Boolean) });
    });
  });
  return { child, done };
}

describe('secitemd, in process', () => {
  const run = tempRun();
  const profiles = new PidProfiles();
  const audit: AuditEntry[] = [];
  const logs: string[] = [];
  let daemon: Daemon;

  before(async () => {
    daemon = await startDaemon({
      keychainPath: run.keychain, socketPath: run.socket, stateDir: join(run.dir, 'state'), profiles,
      audit: { record: (e) => audit.push(e) }, log: (l) => logs.push(l), limits: { idleTimeoutMs: 20_000 },
    });
  });
  after(async () => {
    await daemon.close();
    rmSync(run.dir, { recursive: true, force: true });
  });

  it('listens in a directory only its user can enter, and a second daemon on the keychain refuses to start', async () => {
    assert.equal(statSync(join(run.dir, 'run')).mode & 0o777, 0o700);
    assert.throws(() => takeLock(run.keychain), /another secitemd/);
    await assert.rejects(
      startDaemon({ keychainPath: run.keychain, socketPath: join(run.dir, 'other.sock'), stateDir: run.dir, profiles, audit: { record() {} }, log: () => {} }),
      /another secitemd/,
    );
  });

  it('an unknown caller gets errSecMissingEntitlement for every call, and the refusal is logged', async () => {
    const kc = await connectKeychain({ socket: run.socket });
    try {
      const add = await kc.SecItemAdd(genp('x', { [kSecValueData]: utf8('s3cret-value') }));
      assert.equal(add.status, errSecMissingEntitlement);
      assert.ok(add.error instanceof SecError);
      assert.equal((await kc.SecItemCopyMatching(genp('x'))).status, errSecMissingEntitlement);
      assert.equal(await kc.SecItemUpdate(genp('x'), { [kSecAttrAccount]: 'a' }), errSecMissingEntitlement);
      assert.equal(SecCopyLastError(errSecMissingEntitlement)?.status, errSecMissingEntitlement);
      assert.equal(await kc.SecItemDelete(genp('x')), errSecMissingEntitlement);
      assert.equal((await kc.SecKeyCreateRandomKey({ [kSecAttrKeyType]: kSecAttrKeyTypeECSECPrimeRandom, [kSecAttrKeySizeInBits]: 256 })).error?.status, errSecMissingEntitlement);
      assert.equal(await kc.lock(), errSecMissingEntitlement);
      assert.equal((await kc.status()).status, errSecMissingEntitlement);
    } finally {
      await kc.close();
    }
    const self = profiles.seen.find((c) => c.pid === process.pid);
    assert.ok(self, 'the daemon identified this process');
    assert.equal(self.executable, realpathSync(process.execPath));
    assert.equal(self.executableSha256, createHash('sha256').update(readFileSync(process.execPath)).digest('hex'));
    assert.equal(self.uid, process.getuid!());
    assert.ok(logs.some((l) => l.includes(`refused pid ${process.pid}`)));
    assert.ok(!logs.join('\n').includes('s3cret'));
    assert.ok(audit.some((e) => e.pid === process.pid && e.status === errSecMissingEntitlement));
  });

  it('a call that throws inside (a bug) answers errSecInternalComponent alone: the daemon keeps serving, the log names no value', async () => {
    profiles.byPid.set(process.pid, { entitlements: { applicationIdentifier: 'TEAM.com.example.self' }, owner: false });
    const keychain = daemon.keychain as unknown as { client: (e: Entitlements) => Record<string, unknown> };
    const real = keychain.client;
    // A stand-in bug: the engine's client throws for one service.
    keychain.client = function (this: unknown, e: Entitlements) {
      const c = real.call(this, e);
      const copy = c['SecItemCopyMatching'] as (q: Record<string, unknown>) => unknown;
      return { ...c, SecItemCopyMatching: (q: Record<string, unknown>) => {
        if (q[kSecAttrService] === 'throws-inside') throw new TypeError('a bug');
        return copy(q);
      } };
    };
    const kc = await connectKeychain({ socket: run.socket });
    try {
      assert.equal((await kc.SecItemAdd(genp('still-served', { [kSecAttrAccount]: 'a', [kSecValueData]: utf8('hidden-value') }))).status, errSecSuccess);
      const broken = await kc.SecItemCopyMatching(genp('throws-inside', { [kSecAttrAccount]: 'hidden-value', [kSecReturnData]: true }));
      assert.equal(broken.status, errSecInternalComponent);
      assert.match(broken.error!.message, /failed unexpectedly in secitemd/);
      const served = await kc.SecItemCopyMatching(genp('still-served', { [kSecReturnData]: true }));
      assert.equal(served.status, errSecSuccess);
      assert.ok(logs.some((l) => /SecItemCopyMatching failed unexpectedly \(TypeError\)/.test(l)));
      assert.ok(!logs.some((l) => l.includes('hidden-value')));
    } finally {
      keychain.client = real;
      await kc.close();
    }
  });

  it('values survive the wire; bad input gets the in-process status; owner operations need the owner', async () => {
    profiles.byPid.set(process.pid, { entitlements: { applicationIdentifier: 'TEAM.com.example.self' }, owner: false });
    const kc = await connectKeychain({ socket: run.socket });
    const local = openKeychain({ path: join(run.dir, 'local.keychain-db') }).client({ applicationIdentifier: 'TEAM.com.example.self' });
    try {
      const data = randomBytes(300);
      const when = new Date(Date.UTC(2020, 1, 2, 3, 4, 5, 6));
      const add = await kc.SecItemAdd(genp('wire', { [kSecAttrAccount]: 'a', [kSecValueData]: data, [kSecAttrGeneric]: utf8('gen'), [kSecReturnPersistentRef]: true }));
      assert.equal(add.status, errSecSuccess);
      assert.ok(add.result instanceof Uint8Array);
      const got = await kc.SecItemCopyMatching({ [kSecValuePersistentRef]: add.result, [kSecReturnData]: true, [kSecReturnAttributes]: true });
      assert.equal(got.status, errSecSuccess);
      const r = got.result as Record<string, unknown>;
      assert.deepEqual(Buffer.from(r[kSecValueData] as Uint8Array), data);
      assert.ok(r[kSecAttrCreationDate] instanceof Date);
      assert.equal((await kc.SecItemAdd(genp('wire', { [kSecAttrAccount]: 'a' }))).status, errSecDuplicateItem);
      void when;
      // Bad input: the status of the in-process engine, never a rejected Promise.
      for (const bad of [
        genp('x', { [kSecAttrAccount]: new Date(0) }),
        { [kSecClass]: 'nope' },
        genp('x', { [kSecAttrAccount]: () => 1 }),
        genp('x', { [kSecAttrAccount]: new Map() }),
        {},
      ]) {
        const remote = await kc.SecItemAdd(bad);
        const mine = local.SecItemAdd(bad);
        assert.equal(remote.status, mine.status, JSON.stringify(Object.keys(bad)));
        assert.notEqual(remote.status, errSecSuccess);
      }
      assert.equal((await kc.SecItemAdd({ [kSecClass]: 'nope' })).status, errSecNoSuchClass);
      assert.equal(await kc.SecItemDelete(genp('absent')), errSecItemNotFound);
      assert.equal(await kc.SecItemUpdate(genp('wire'), { [kSecAttrAccount]: 7n as unknown as string }), local.SecItemUpdate(genp('wire'), { [kSecAttrAccount]: 7n as unknown as string }));
      assert.equal((await kc.SecItemCopyMatching(genp('x', { [kSecMatchLimit]: 'many' }))).status, local.SecItemCopyMatching(genp('x', { [kSecMatchLimit]: 'many' })).status);
      // Keys by handle.
      const made = await kc.SecKeyCreateRandomKey({ [kSecAttrKeyType]: kSecAttrKeyTypeECSECPrimeRandom, [kSecAttrKeySizeInBits]: 256 });
      assert.ok(made.value, String(made.error));
      assert.equal(made.value.keyClass, 'private');
      assert.equal(made.value.publicKey.length, 65);
      const msg = utf8('hello');
      const sig = await kc.SecKeyCreateSignature(made.value, kSecKeyAlgorithmECDSASignatureMessageX962SHA256, msg);
      assert.ok(sig.value instanceof Uint8Array);
      const pub = await kc.SecKeyCopyPublicKey(made.value);
      assert.equal(pub?.keyClass, 'public');
      assert.equal((await kc.SecKeyVerifySignature(pub!, kSecKeyAlgorithmECDSASignatureMessageX962SHA256, msg, sig.value)).value, true);
      assert.equal((await kc.SecKeyVerifySignature(pub!, kSecKeyAlgorithmECDSASignatureMessageX962SHA256, utf8('other'), sig.value)).value, false);
      assert.equal(await kc.release(made.value), errSecSuccess);
      assert.equal((await kc.SecKeyCreateSignature(made.value, kSecKeyAlgorithmECDSASignatureMessageX962SHA256, msg)).error?.status, errSecParam);
      // Owner operations.
      assert.equal(await kc.lock(), errSecMissingEntitlement);
      profiles.byPid.set(process.pid, { entitlements: { applicationIdentifier: 'TEAM.com.example.self' }, owner: true });
      const owner = await connectKeychain({ socket: run.socket });
      assert.equal((await owner.status()).result?.lockState, 'unlocked');
      assert.equal(await owner.setPasscode(null, 'pass'), errSecSuccess);
      assert.equal(await owner.lock(), errSecSuccess);
      assert.equal((await owner.status()).result?.lockState, 'locked');
      assert.equal(await owner.unlock('wrong'), -25293);
      assert.equal(await owner.unlock('pass'), errSecSuccess);
      await owner.close();
      // The audit log has digests, never values.
      const entry = audit.find((e) => e.fn === 'SecItemAdd' && e.status === errSecSuccess)!;
      assert.match(entry.itemDigest ?? '', /^[0-9a-f]{32}$/);
      assert.equal(entry.cls, 'genp');
      assert.equal(entry.group, 'TEAM.com.example.self');
      assert.ok(!JSON.stringify(audit).includes('wire'));
    } finally {
      await kc.close();
      profiles.byPid.delete(process.pid);
    }
  });

  it('an identity imported in the client (SecPKCS12Import) is added through the daemon, found there and exported back', async () => {
    profiles.byPid.set(process.pid, { entitlements: { applicationIdentifier: 'TEAM.com.example.self' }, owner: false });
    const o = new OpenSSLDir();
    const kc = await connectKeychain({ socket: run.socket });
    try {
      o.selfSigned('carried', o.ecKey('carried'), '/CN=carried identity');
      o.run('pkcs12', '-export', '-passout', 'pass:pw', '-inkey', 'carried.key', '-in', 'carried.pem', '-out', 'carried.p12');
      const imported = SecPKCS12Import(o.read('carried.p12'), { passphrase: 'pw' });
      assert.equal(imported.status, errSecSuccess);
      const identity = imported.items![0]![kSecImportItemIdentity] as SecIdentity;
      // The private key travels as its external representation; the daemon stores the identity.
      assert.equal((await kc.SecItemAdd({ [kSecValueRef]: identity })).status, errSecSuccess);
      assert.equal((await kc.SecItemAdd({ [kSecValueRef]: identity })).status, errSecDuplicateItem);
      const found = await kc.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecAttrLabel]: 'carried identity', [kSecReturnRef]: true, [kSecReturnData]: true, [kSecReturnAttributes]: true });
      assert.equal(found.status, errSecSuccess);
      const r = found.result as Record<string, unknown>;
      assert.ok(r[kSecValueRef] instanceof RemoteIdentity);
      const key = SecIdentityCopyPrivateKey(identity).privateKey!;
      assert.deepEqual(Buffer.from(r[kSecValueData] as Uint8Array), Buffer.from(SecKeyCopyExternalRepresentation(key).value!), "the identity's data is its key's external representation");
      // The daemon signs with the stored key; the client's public key verifies.
      const signed = await kc.SecKeyCreateSignature((r[kSecValueRef] as RemoteIdentity).privateKey, kSecKeyAlgorithmECDSASignatureMessageX962SHA256, utf8('m'));
      assert.equal(SecKeyVerifySignature(SecKeyCopyPublicKey(key)!, kSecKeyAlgorithmECDSASignatureMessageX962SHA256, utf8('m'), signed.value!).value, true);
      // A key that cannot leave this process (an enclave key of a keychain here) is refused, as bad input is in-process.
      const local = openKeychain({ path: join(run.dir, 'enclave-here.keychain-db') });
      const enclaveKey = local.client({ applicationIdentifier: 'TEAM.com.example.self' }).SecKeyCreateRandomKey({ type: '73', bsiz: 256, tkid: 'com.apple.setoken' }).value!;
      assert.equal((await kc.SecItemAdd({ [kSecValueRef]: enclaveKey })).status, errSecParam);
      local.close();
    } finally {
      await kc.close();
      o.remove();
      profiles.byPid.delete(process.pid);
    }
  });

  it('an LAContext travels as its state: an application-password item is added and read through the daemon; user presence is asked of the client\'s own check', async () => {
    profiles.byPid.set(process.pid, { entitlements: { applicationIdentifier: 'TEAM.com.example.self' }, owner: false });
    const kc = await connectKeychain({ socket: run.socket });
    const withPassword = (password: string, options: LAContextOptions = {}): LAContext => {
      const ctx = new LAContext(options);
      assert.ok(ctx.setCredential(utf8(password), LACredentialType.applicationPassword));
      return ctx;
    };
    try {
      const passwordAc = SecAccessControlCreateWithFlags(kSecAttrAccessibleWhenUnlocked, kSecAccessControlApplicationPassword).accessControl!;
      const item = genp('lactx', { [kSecAttrAccount]: 'app-password' });
      const add = await kc.SecItemAdd({ ...item, [kSecAttrAccessControl]: passwordAc, [kSecValueData]: utf8('behind a password'), [kSecUseAuthenticationContext]: withPassword('open sesame') });
      assert.equal(add.status, errSecSuccess);
      const read = await kc.SecItemCopyMatching({ ...item, [kSecReturnData]: true, [kSecUseAuthenticationContext]: withPassword('open sesame') });
      assert.equal(read.status, errSecSuccess);
      assert.equal(Buffer.from(read.result as Uint8Array).toString(), 'behind a password');
      assert.equal((await kc.SecItemCopyMatching({ ...item, [kSecReturnData]: true, [kSecUseAuthenticationContext]: withPassword('wrong') })).status, errSecAuthFailed);
      assert.equal((await kc.SecItemCopyMatching({ ...item, [kSecReturnData]: true })).status, errSecInteractionNotAllowed);
      // An invalidated context authenticates nothing, there as here.
      const invalid = withPassword('open sesame');
      invalid.invalidate();
      assert.equal((await kc.SecItemCopyMatching({ ...item, [kSecReturnData]: true, [kSecUseAuthenticationContext]: invalid })).status, errSecAuthFailed);
      // User presence: the daemon asks, the client's own check answers (here), and the call is made again with its answer.
      const presenceAc = SecAccessControlCreateWithFlags(kSecAttrAccessibleWhenUnlocked, kSecAccessControlUserPresence).accessControl!;
      const guarded = genp('lactx', { [kSecAttrAccount]: 'presence' });
      assert.equal((await kc.SecItemAdd({ ...guarded, [kSecAttrAccessControl]: presenceAc, [kSecValueData]: utf8('present') })).status, errSecSuccess);
      const reasons: string[] = [];
      const yes = new LAContext({ userPresence: (reason) => (reasons.push(reason), true) });
      const got = await kc.SecItemCopyMatching({ ...guarded, [kSecReturnData]: true, [kSecUseAuthenticationContext]: yes, [kSecUseOperationPrompt]: 'read the test secret' });
      assert.equal(got.status, errSecSuccess);
      assert.equal(Buffer.from(got.result as Uint8Array).toString(), 'present');
      assert.deepEqual(reasons, ['read the test secret'], 'the check ran once, in this process, with the prompt');
      // The same statuses as in process: a declining check, a context without one, interaction not allowed.
      const local = openKeychain({ path: join(run.dir, 'presence-here.keychain-db') }).client({ applicationIdentifier: 'TEAM.com.example.self' });
      assert.equal(local.SecItemAdd({ ...guarded, [kSecAttrAccessControl]: presenceAc, [kSecValueData]: utf8('present') }).status, errSecSuccess);
      const cases: [string, () => LAContext][] = [
        ['declines', () => new LAContext({ userPresence: () => false })],
        ['has no check', () => new LAContext()],
        ['may not ask', () => Object.assign(new LAContext({ userPresence: () => true }), { interactionNotAllowed: true })],
      ];
      for (const [what, make] of cases) {
        const query = { ...guarded, [kSecReturnData]: true };
        const remote = await kc.SecItemCopyMatching({ ...query, [kSecUseAuthenticationContext]: make() });
        const mine = local.SecItemCopyMatching({ ...query, [kSecUseAuthenticationContext]: make() });
        assert.equal(remote.status, mine.status, `a context that ${what}`);
        assert.notEqual(remote.status, errSecSuccess);
      }
    } finally {
      await kc.close();
      profiles.byPid.delete(process.pid);
    }
  });

  it('a key protected by user presence signs through the daemon once the client\'s own check agrees, asked at each use as in process', async () => {
    profiles.byPid.set(process.pid, { entitlements: { applicationIdentifier: 'TEAM.com.example.self' }, owner: false });
    const kc = await connectKeychain({ socket: run.socket });
    const localKeychain = openKeychain({ path: join(run.dir, 'key-presence-here.keychain-db') });
    const local = localKeychain.client({ applicationIdentifier: 'TEAM.com.example.self' });
    const ALG = kSecKeyAlgorithmECDSASignatureMessageX962SHA256;
    const message = utf8('sign me');
    try {
      const presenceAc = SecAccessControlCreateWithFlags(kSecAttrAccessibleWhenUnlocked, kSecAccessControlUserPresence).accessControl!;
      const parameters = {
        [kSecAttrKeyType]: kSecAttrKeyTypeECSECPrimeRandom, [kSecAttrKeySizeInBits]: 256,
        [kSecPrivateKeyAttrs]: { [kSecAttrIsPermanent]: true, [kSecAttrApplicationTag]: utf8('presence-key'), [kSecAttrAccessControl]: presenceAc },
      };
      assert.ok((await kc.SecKeyCreateRandomKey(parameters)).value instanceof RemoteKey);
      assert.ok(local.SecKeyCreateRandomKey(parameters).value !== undefined);
      const query = { [kSecClass]: kSecClassKey, [kSecAttrApplicationTag]: utf8('presence-key'), [kSecAttrKeyClass]: kSecAttrKeyClassPrivate, [kSecReturnRef]: true };
      const reasons: string[] = [];
      const yes = new LAContext({ userPresence: (reason) => (reasons.push(reason), true) });
      const found = await kc.SecItemCopyMatching({ ...query, [kSecUseAuthenticationContext]: yes, [kSecUseOperationPrompt]: 'sign the test message' });
      assert.equal(found.status, errSecSuccess);
      const key = found.result as RemoteKey;
      assert.ok(key instanceof RemoteKey);
      assert.deepEqual(reasons, [], 'finding the key asks nothing: its use does');
      const publicKey = SecKeyCreateWithData(key.publicKey, { [kSecAttrKeyType]: kSecAttrKeyTypeECSECPrimeRandom, [kSecAttrKeyClass]: kSecAttrKeyClassPublic }).value!;
      for (const round of [1, 2]) {
        const signed = await kc.SecKeyCreateSignature(key, ALG, message);
        assert.ok(signed.value, `signature ${round}: ${signed.error?.message}`);
        assert.equal(SecKeyVerifySignature(publicKey, ALG, message, signed.value).value, true);
        assert.deepEqual(reasons, Array(round).fill('sign the test message'), 'the check ran in this process, once per use (no reuse window)');
      }
      // The same statuses as in process: a declining check, a context without one, one that may not ask, no context.
      const cases: [string, (() => LAContext) | undefined][] = [
        ['declines', () => new LAContext({ userPresence: () => false })],
        ['has no check', () => new LAContext()],
        ['may not ask', () => Object.assign(new LAContext({ userPresence: () => true }), { interactionNotAllowed: true })],
        ['is not given', undefined],
      ];
      for (const [what, make] of cases) {
        const withContext = make === undefined ? {} : { [kSecUseAuthenticationContext]: make() };
        const remoteKey = (await kc.SecItemCopyMatching({ ...query, ...withContext })).result as RemoteKey;
        const localKey = local.SecItemCopyMatching({ ...query, ...(make === undefined ? {} : { [kSecUseAuthenticationContext]: make() }) }).result as SecKey;
        const remote = await kc.SecKeyCreateSignature(remoteKey, ALG, message);
        const mine = SecKeyCreateSignature(localKey, ALG, message);
        assert.ok(remote.error !== undefined && mine.error !== undefined, `a context that ${what}: no signature`);
        assert.equal(remote.error.status, mine.error.status, `a context that ${what}`);
      }
      assert.equal((await kc.SecKeyCreateSignature((await kc.SecItemCopyMatching({ ...query, [kSecUseAuthenticationContext]: new LAContext({ userPresence: () => false }) })).result as RemoteKey, ALG, message)).error?.status, errSecUserCanceled);
      // A key made with a context in its parameters keeps it, as in process.
      const makerReasons: string[] = [];
      const maker = new LAContext({ userPresence: (reason) => (makerReasons.push(reason), true) });
      const made = await kc.SecKeyCreateRandomKey({ ...parameters, [kSecPrivateKeyAttrs]: { ...parameters[kSecPrivateKeyAttrs], [kSecAttrApplicationTag]: utf8('presence-key-2'), [kSecUseAuthenticationContext]: maker } });
      assert.ok((await kc.SecKeyCreateSignature(made.value!, ALG, message)).value, 'the new key signs after its maker\'s check');
      assert.deepEqual(makerReasons, ['use a private key']);
    } finally {
      localKeychain.close();
      await kc.close();
      profiles.byPid.delete(process.pid);
    }
  });

  it('two client processes with different profiles see only their own items', async () => {
    const results = await Promise.all(
      (['alpha', 'beta'] as const).map((name) => {
        const c = runChild([fixture('client-child'), run.socket, 'isolation', `svc-${name}`]);
        profiles.byPid.set(c.child.pid!, { entitlements: { applicationIdentifier: `TEAM.com.example.${name}` }, owner: false });
        return c.done;
      }),
    );
    const [alpha, beta] = results.map((r) => JSON.parse(r.lines[0]!) as { add: number; copy: number; services: string[]; identity: { applicationIdentifier: string } });
    assert.equal(alpha!.add, errSecSuccess);
    assert.deepEqual(alpha!.services, ['svc-alpha']);
    assert.deepEqual(beta!.services, ['svc-beta']);
    assert.equal(alpha!.identity.applicationIdentifier, 'TEAM.com.example.alpha');
    const child = profiles.seen.find((c) => c.script === realpathSync(fixture('client-child')));
    assert.ok(child?.scriptSha256 === createHash('sha256').update(readFileSync(fixture('client-child'))).digest('hex'));
  });

  it('random, truncated, oversized and deeply nested frames close their connection while a good client keeps being served', async () => {
    profiles.byPid.set(process.pid, { entitlements: { applicationIdentifier: 'TEAM.com.example.fuzz' }, owner: false });
    const good = await connectKeychain({ socket: run.socket });
    let served = 0;
    let stop = false;
    const loop = (async () => {
      for (let i = 0; !stop && i < 2000; i++) {
        const r = await good.SecItemAdd(genp(`fuzz-${i}`, { [kSecValueData]: utf8('v') }));
        assert.equal(r.status, errSecSuccess);
        served++;
      }
    })();
    const deep = Buffer.alloc(5 + 200 * 5);
    deep.writeUInt32BE(1 + 200 * 5 + 1 - 1, 0);
    deep[4] = 1;
    for (let i = 0; i < 199; i++) deep.set([0x08, 0, 0, 0, 1], 5 + i * 5);
    const oversized = Buffer.alloc(8);
    oversized.writeUInt32BE(MAX_FRAME + 1, 0);
    const valid = encodeFrame({ i: 1, f: 'SecItemCopyMatching', a: [genp('fuzz-0')] });
    const payloads: Buffer[] = [oversized, deep, valid.subarray(0, valid.length - 3), Buffer.from([0, 0, 0, 0])];
    for (let i = 0; i < 60; i++) payloads.push(randomBytes(1 + (i * 37) % 300));
    for (let i = 0; i < 20; i++) {
      const m = Buffer.from(valid);
      m[4 + 1 + (i % (m.length - 5))] ^= 1 + i;
      payloads.push(m);
    }
    const outcomes = await Promise.all(
      payloads.map(
        (p) =>
          new Promise<string>((resolve) => {
            const s = createConnection(run.socket);
            let got = Buffer.alloc(0);
            s.on('connect', () => {
              s.write(p);
              // A truncated frame waits for more; end our side so the daemon sees the stream close.
              setTimeout(() => s.end(), 200);
            });
            s.on('data', (d) => (got = Buffer.concat([got, d])));
            s.on('error', () => undefined);
            s.on('close', () => resolve(got.length > 0 ? 'answered' : 'closed'));
            setTimeout(() => s.destroy(), 5000).unref();
          }),
      ),
    );
    assert.equal(outcomes.length, payloads.length);
    stop = true;
    await loop;
    assert.ok(served > 0);
    const still = await good.SecItemCopyMatching(genp('fuzz-0', { [kSecReturnData]: true }));
    assert.equal(still.status, errSecSuccess);
    await good.close();
    profiles.byPid.delete(process.pid);
  });
});

describe('seed 003 through secitemd: a daemon that must sign before any user logs in', () => {
  it('a daemon start is a boot: before the first unlock a client\'s enclave key with an Always access control is made and signs; with the default protection it is errSecInteractionNotAllowed', async () => {
    const run = tempRun();
    openKeychain({ path: run.keychain, passcode: '1234' }).close();
    const profiles = new PidProfiles();
    profiles.byPid.set(process.pid, { entitlements: { applicationIdentifier: 'TEAM.com.example.machine-identity' }, owner: false });
    const daemon = await startDaemon({ keychainPath: run.keychain, socketPath: run.socket, stateDir: join(run.dir, 'state'), profiles, audit: { record() {} }, log: () => {} });
    const kc = await connectKeychain({ socket: run.socket });
    try {
      assert.equal(daemon.keychain.lockState, 'beforeFirstUnlock');
      const enclaveKey = (extra: Record<string, unknown>) => kc.SecKeyCreateRandomKey({
        [kSecAttrKeyType]: kSecAttrKeyTypeECSECPrimeRandom, [kSecAttrKeySizeInBits]: 256, [kSecAttrTokenID]: kSecAttrTokenIDSecureEnclave,
        [kSecPrivateKeyAttrs]: { [kSecAttrIsPermanent]: true, ...extra },
      });
      const always = SecAccessControlCreateWithFlags(kSecAttrAccessibleAlwaysThisDeviceOnly, kSecAccessControlPrivateKeyUsage).accessControl!;
      const made = await enclaveKey({ [kSecAttrApplicationTag]: utf8('machine'), [kSecAttrAccessControl]: always });
      assert.ok(made.value instanceof RemoteKey, `the Always key: ${made.error?.message}`);
      const signed = await kc.SecKeyCreateSignature(made.value, kSecKeyAlgorithmECDSASignatureMessageX962SHA256, utf8('machine identity'));
      assert.ok(signed.value, `signing: ${signed.error?.message}`);
      const pub = await kc.SecKeyCopyPublicKey(made.value);
      assert.equal((await kc.SecKeyVerifySignature(pub!, kSecKeyAlgorithmECDSASignatureMessageX962SHA256, utf8('machine identity'), signed.value)).value, true);
      assert.ok((await kc.SecKeyCopyExternalRepresentation(made.value)).error, 'the private key never leaves the enclave');
      const found = await kc.SecItemCopyMatching({ [kSecClass]: kSecClassKey, [kSecAttrApplicationTag]: utf8('machine'), [kSecReturnRef]: true });
      assert.ok(found.result instanceof RemoteKey, 'stored in the daemon\'s keychain');
      assert.equal((await enclaveKey({ [kSecAttrApplicationTag]: utf8('default') })).error?.status, errSecInteractionNotAllowed);
    } finally {
      await kc.close();
      await daemon.close();
      rmSync(run.dir, { recursive: true, force: true });
    }
  });
});

describe('secitemd, as a process', () => {
  async function startChild(run: Run): Promise<ChildProcess> {
    const c = runChild([fixture('daemon-child'), run.keychain, run.socket, join(run.dir, 'state'), 'TEAM.com.example.load'], 120_000);
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      c.child.stdout!.on('data', (d) => {
        buf += d;
        if (buf.includes('ready')) resolve();
      });
      c.child.once('exit', (code) => reject(new Error(`the daemon exited (${code}) before it was ready`)));
    });
    return c.child;
  }

  function storedServices(run: Run): Set<string> {
    const kc = openKeychain({ path: run.keychain });
    const r = kc.client({ applicationIdentifier: 'TEAM.com.example.load' }).SecItemCopyMatching({
      [kSecClass]: kSecClassGenericPassword, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true,
    });
    kc.close();
    if (r.status === errSecItemNotFound) return new Set();
    assert.equal(r.status, errSecSuccess);
    return new Set((r.result as Record<string, unknown>[]).map((a) => a[kSecAttrService] as string));
  }

  const acked = (lines: string[]) => lines.map((l) => JSON.parse(l) as { ack?: string; status?: number }).filter((l) => l.ack !== undefined && l.status === errSecSuccess).map((l) => l.ack!);

  it('SIGTERM answers the calls in flight and loses nothing', async () => {
    const run = tempRun();
    try {
      const daemon = await startChild(run);
      const exited = new Promise<number | null>((r) => daemon.once('exit', (code) => r(code)));
      const client = runChild([fixture('client-child'), run.socket, 'load', 'term', '300']);
      let first = false;
      client.child.stdout!.on('data', () => {
        if (!first) {
          first = true;
          daemon.kill('SIGTERM');
        }
      });
      const [{ lines }, code] = await Promise.all([client.done, exited]);
      assert.equal(code, 0);
      const acks = acked(lines);
      assert.ok(acks.length > 0);
      const stored = storedServices(run);
      for (const a of acks) assert.ok(stored.has(a), `acknowledged ${a} is stored`);
      // Requests the daemon had read were answered; those it had not read yet (reading pauses at
      // maxInFlight) fail at the client when the connection closes, unacknowledged: none hangs.
      assert.ok(lines.some((l) => l.includes('"done"')), 'every call of the client settled');
      assert.ok(acks.length >= 64, `answered ${acks.length}`);
    } finally {
      rmSync(run.dir, { recursive: true, force: true });
    }
  });

  it('SIGKILL mid-load loses no acknowledged call (4 clients × 200 adds)', async () => {
    const run = tempRun();
    try {
      const daemon = await startChild(run);
      const clients = [0, 1, 2, 3].map((n) => runChild([fixture('client-child'), run.socket, 'load', `kill${n}`, '200']));
      let total = 0;
      await new Promise<void>((resolve) => {
        for (const c of clients) {
          c.child.stdout!.on('data', (d: Buffer) => {
            total += d.toString().split('\n').length - 1;
            if (total >= 150) resolve();
          });
        }
        setTimeout(resolve, 20_000).unref();
      });
      daemon.kill('SIGKILL');
      const outs = await Promise.all(clients.map((c) => c.done));
      const acks = outs.flatMap((o) => acked(o.lines));
      assert.ok(acks.length > 0);
      const stored = storedServices(run);
      for (const a of acks) assert.ok(stored.has(a), `acknowledged ${a} is stored`);
      // A new daemon takes over the stale lock.
      const again = await startChild(run);
      again.kill('SIGTERM');
      await new Promise((r) => again.once('exit', r));
    } finally {
      rmSync(run.dir, { recursive: true, force: true });
    }
  });
});
