/**
 * App profiles, signers, trust, registration and identification (issue 16,
 * part 2): who a caller is, from a signed profile whose code requirement its
 * script or executable meets.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ProfileError,
  ProfileRegistry,
  createProfile,
  createSigner,
  parseProfile,
  parseSignedProfile,
  profileDocument,
  readSignerKey,
  sha256File,
  signProfile,
  validateProfile,
} from '../../src/daemon/profiles.js';
import type { AppProfile, CallerCredentials } from '../../src/daemon/profiles.js';
import { accessGroupList } from '../../src/access/groups.js';
import {
  errSecSuccess, kSecAttrAccessGroup, kSecAttrAccount, kSecAttrService, kSecClass, kSecClassGenericPassword, kSecReturnData, kSecValueData, openKeychain,
} from '../../src/index.js';

const OLD = 'SKMME9E2Y8.com.example.waffle-varnisher';
const NEW = 'TEAMID1234.com.example.waffle-varnisher';
const AGI = 'group.com.example.waffle';

let dir: string;
let state: string;
let signer: { keyFile: string; pubFile: string; keyId: string };

function script(name: string, body = `console.log(${JSON.stringify(name)});\n`): string {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
}

/** The node executable's path and hash (hashed once: it is large). */
let node: { path: string; sha256: string } | undefined;

/** What the daemon would establish for `node <script>`. */
function nodeCaller(scriptPath: string, extra: Partial<CallerCredentials> = {}): CallerCredentials {
  node ??= { path: realpathSync(process.execPath), sha256: sha256File(realpathSync(process.execPath)) };
  return {
    pid: 4242, uid: process.getuid?.() ?? 0, executable: node.path, executableSha256: node.sha256,
    script: realpathSync(scriptPath), scriptSha256: sha256File(scriptPath), startTime: 1, ...extra,
  };
}

function signed(profile: AppProfile, keyFile = signer.keyFile): string {
  return signProfile(profile, readSignerKey(keyFile));
}

describe('profiles', () => {
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'secitem-profiles-')));
    state = join(dir, 'state');
    signer = createSigner(join(dir, 'signer'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('signer-create writes an owner-only PKCS#8 key and an SPKI public key, and never overwrites', () => {
    assert.equal(statSync(signer.keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(signer.keyFile, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    assert.match(readFileSync(signer.pubFile, 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
    assert.match(signer.keyId, /^[0-9a-f]{64}$/);
    assert.throws(() => createSigner(join(dir, 'signer')), ProfileError);
  });

  it('validates profiles strictly', () => {
    const s = script('app.js');
    const good = createProfile({ applicationIdentifier: OLD, keychainAccessGroups: ['SKMME9E2Y8.shared', '*'], script: s });
    assert.equal(good.requirement.script!.sha256, sha256File(s));
    const base = JSON.parse(profileDocument(good)) as Record<string, unknown>;
    const bad: Record<string, unknown>[] = [
      { ...base, applicationIdentifier: 'SHORT.com.example' },
      { ...base, applicationIdentifier: 'SKMME9E2Y8' },
      { ...base, applicationIdentifier: 'SKMME9E2Y8.*' },
      { ...base, applicationGroups: ['*'] },
      { ...base, keychainAccessGroups: ['a', 'a'] },
      { ...base, keychainAccessGroups: [1] },
      { ...base, extra: true },
      { ...base, version: 2 },
      { ...base, requirement: {} },
      { ...base, requirement: { script: { path: 'relative.js', sha256: 'a'.repeat(64) } } },
      { ...base, requirement: { script: { path: '/x.js', sha256: 'A'.repeat(64) } } },
      { ...base, expires: 'tomorrow' },
      { ...base, owner: 'yes' },
    ];
    for (const b of bad) assert.throws(() => validateProfile(b), ProfileError, JSON.stringify(b));
    // Any JSON spelling parses; the signed form must be canonical.
    assert.deepEqual(parseProfile(JSON.stringify(base, null, 2)), good);
  });

  it('identifies a node script that matches its signed profile', () => {
    const s = script('app.js');
    const reg = ProfileRegistry.open(state);
    reg.trust(readFileSync(signer.pubFile));
    reg.register(signed(createProfile({ applicationIdentifier: OLD, keychainAccessGroups: ['SKMME9E2Y8.groupA'], script: s })));
    const id = reg.identify(nodeCaller(s));
    assert.deepEqual(id, {
      entitlements: { applicationIdentifier: OLD, keychainAccessGroups: ['SKMME9E2Y8.groupA'], applicationGroups: [] },
      owner: false,
    });
    assert.equal(statSync(state).mode & 0o777, 0o700);
    const apps = reg.apps();
    assert.equal(apps.length, 1);
    assert.equal(apps[0].signer, signer.keyId);
  });

  it('refuses a script modified after signing', () => {
    const s = script('app.js');
    const reg = ProfileRegistry.open(state);
    reg.trust(readFileSync(signer.pubFile));
    reg.register(signed(createProfile({ applicationIdentifier: OLD, script: s })));
    writeFileSync(s, 'console.log("changed");\n');
    assert.deepEqual(reg.identify(nodeCaller(s)), { refused: 'the script changed since its profile was signed' });
  });

  it('seed 004, identity is a code requirement over a signed executable: a native executable\'s profile (path and SHA-256) identifies it while unchanged and refuses it once its bytes change', () => {
    const tool = join(dir, 'tool');
    writeFileSync(tool, Buffer.from('\x7fELF stand-in for a native daemon\n'), { mode: 0o755 });
    const reg = ProfileRegistry.open(state);
    reg.trust(readFileSync(signer.pubFile));
    reg.register(signed(createProfile({ applicationIdentifier: OLD, keychainAccessGroups: ['SKMME9E2Y8.groupA'], executable: tool })));
    const caller = (): CallerCredentials => ({ pid: 4343, uid: process.getuid?.() ?? 0, executable: tool, executableSha256: sha256File(tool), startTime: 1 });
    const id = reg.identify(caller());
    assert.ok('entitlements' in id && id.entitlements.applicationIdentifier === OLD, JSON.stringify(id));
    assert.ok('refused' in reg.identify({ ...caller(), executable: join(dir, 'elsewhere') }), 'another path');
    writeFileSync(tool, Buffer.from('\x7fELF replaced\n'));
    assert.deepEqual(reg.identify(caller()), { refused: 'the executable changed since its profile was signed' });
  });

  it('a profile naming both the interpreter and the script requires both: the same script run by another node binary is refused', () => {
    const s = script('app.js');
    const reg = ProfileRegistry.open(state);
    reg.trust(readFileSync(signer.pubFile));
    reg.register(signed(createProfile({ applicationIdentifier: OLD, executable: process.execPath, script: s })));
    assert.ok('entitlements' in reg.identify(nodeCaller(s)));
    assert.deepEqual(reg.identify(nodeCaller(s, { executableSha256: 'f'.repeat(64) })), { refused: 'the executable changed since its profile was signed' });
  });

  it('refuses a caller that matches no profile, and node itself for a profile of a script', () => {
    const s = script('app.js');
    const other = script('other.js');
    const reg = ProfileRegistry.open(state);
    reg.trust(readFileSync(signer.pubFile));
    reg.register(signed(createProfile({ applicationIdentifier: OLD, script: s })));
    assert.ok('refused' in reg.identify(nodeCaller(other)));
    const { script: _s, scriptSha256: _h, ...bareNode } = nodeCaller(s);
    assert.ok('refused' in reg.identify(bareNode));
  });

  it('refuses a profile whose signer is not, or no longer, trusted', () => {
    const s = script('app.js');
    const reg = ProfileRegistry.open(state);
    const doc = signed(createProfile({ applicationIdentifier: OLD, script: s }));
    assert.throws(() => reg.register(doc), /not trusted/);
    reg.trust(readFileSync(signer.pubFile));
    reg.register(doc);
    assert.ok('entitlements' in reg.identify(nodeCaller(s)));
    reg.untrust(signer.keyId.slice(0, 12));
    const r = reg.identify(nodeCaller(s));
    assert.ok('refused' in r && /does not trust/.test(r.refused), JSON.stringify(r));
    // Another signer, never trusted, cannot register for the same app.
    const rogue = createSigner(join(dir, 'rogue'));
    reg.trust(readFileSync(signer.pubFile));
    assert.throws(() => reg.register(signed(createProfile({ applicationIdentifier: OLD, script: s, keychainAccessGroups: ['*'] }), rogue.keyFile)), /not trusted/);
  });

  it('refuses an expired profile (at registration, and once it expires)', () => {
    const s = script('app.js');
    const reg = ProfileRegistry.open(state);
    reg.trust(readFileSync(signer.pubFile));
    assert.throws(() => reg.register(signed(createProfile({ applicationIdentifier: OLD, script: s, expires: '2001-01-01T00:00:00Z' }))), /expired/);
    reg.register(signed(createProfile({ applicationIdentifier: OLD, script: s, expires: '2030-01-01T00:00:00Z' })));
    assert.ok('entitlements' in reg.identify(nodeCaller(s)));
    const later = reg.identify(nodeCaller(s), Date.parse('2031-01-01T00:00:00Z'));
    assert.ok('refused' in later && /expired/.test(later.refused));
  });

  it('refuses a forged signature: a changed profile, or a signature moved to another profile', () => {
    const s = script('app.js');
    const reg = ProfileRegistry.open(state);
    reg.trust(readFileSync(signer.pubFile));
    const doc = JSON.parse(signed(createProfile({ applicationIdentifier: OLD, script: s }))) as Record<string, string>;
    const widened = createProfile({ applicationIdentifier: OLD, script: s, keychainAccessGroups: ['*'] });
    const forged = { ...doc, profile: Buffer.from(profileDocument(widened).trimEnd()).toString('base64') };
    assert.throws(() => reg.register(JSON.stringify(forged)), /signature does not verify/);
    const flipped = Buffer.from(doc.signature, 'base64');
    flipped[5] ^= 1;
    assert.throws(() => reg.register(JSON.stringify({ ...doc, signature: flipped.toString('base64') })), /signature does not verify/);
    // Even planted in the state directory, a forged profile is ignored.
    writeFileSync(join(state, 'profiles', `${OLD}.signed`), JSON.stringify(forged), { mode: 0o600 });
    assert.ok('refused' in reg.identify(nodeCaller(s)));
    assert.match(reg.problems().join('\n'), /does not verify/);
    // A non-canonical spelling of the profile is refused too.
    const spaced = { ...doc, profile: Buffer.from(JSON.stringify(JSON.parse(Buffer.from(doc.profile, 'base64').toString()), null, 1)).toString('base64') };
    assert.throws(() => parseSignedProfile(JSON.stringify(spaced)), /canonical/);
  });

  it("refuses a caller claiming another app's identifier", () => {
    const mine = script('mine.js');
    const theirs = script('theirs.js');
    const reg = ProfileRegistry.open(state);
    reg.trust(readFileSync(signer.pubFile));
    reg.register(signed(createProfile({ applicationIdentifier: OLD, script: mine })));
    reg.register(signed(createProfile({ applicationIdentifier: 'SKMME9E2Y8.com.example.bank', script: theirs, keychainAccessGroups: ['SKMME9E2Y8.bank'] })));
    const r = reg.identify(nodeCaller(mine, { applicationIdentifier: 'SKMME9E2Y8.com.example.bank' }));
    assert.ok('refused' in r, JSON.stringify(r));
    const ok = reg.identify(nodeCaller(mine, { applicationIdentifier: OLD }));
    assert.ok('entitlements' in ok && ok.entitlements.applicationIdentifier === OLD);
  });

  it('register replaces the profile of the same app id; unregister removes it; a new registry sees the same state', () => {
    const v1 = script('v1.js');
    const v2 = script('v2.js');
    const reg = ProfileRegistry.open(state);
    reg.trust(readFileSync(signer.pubFile));
    reg.register(signed(createProfile({ applicationIdentifier: OLD, script: v1 })));
    reg.register(signed(createProfile({ applicationIdentifier: OLD, script: v2 })));
    assert.equal(reg.apps().length, 1);
    assert.ok('refused' in reg.identify(nodeCaller(v1)));
    // A second registry (another process: the CLI) changes the state; the first picks it up by reload().
    const cli = ProfileRegistry.open(state);
    assert.ok('entitlements' in cli.identify(nodeCaller(v2)));
    assert.equal(cli.unregister(OLD), true);
    assert.equal(cli.unregister(OLD), false);
    reg.reload();
    assert.equal(reg.apps().length, 0);
    assert.ok('refused' in reg.identify(nodeCaller(v2)));
  });

  it('refuses a state directory open to others', () => {
    ProfileRegistry.open(state);
    chmodSync(state, 0o755);
    assert.throws(() => ProfileRegistry.open(state), /others may enter it/);
  });

  it('App ID prefix change: both prefixes of the app get the AGI group, and an item moved there crosses the change', () => {
    const v1 = script('waffle-v1.js');
    const v2 = script('waffle-v2.js');
    const reg = ProfileRegistry.open(state);
    reg.trust(readFileSync(signer.pubFile));
    reg.register(signed(createProfile({ applicationIdentifier: OLD, keychainAccessGroups: ['SKMME9E2Y8.groupA'], applicationGroups: [AGI], script: v1 })));
    reg.register(signed(createProfile({ applicationIdentifier: NEW, applicationGroups: [AGI], script: v2 })));
    const a = reg.identify(nodeCaller(v1));
    const b = reg.identify(nodeCaller(v2));
    assert.ok('entitlements' in a && 'entitlements' in b);
    assert.deepEqual(accessGroupList(a.entitlements), ['SKMME9E2Y8.groupA', OLD, AGI]);
    assert.deepEqual(accessGroupList(b.entitlements), [NEW, AGI]);
    // The recipe: the old version moves its items to the AGI group; the new prefix still sees them.
    const kc = openKeychain({ path: join(dir, 'login.keychain-db') });
    try {
      const oldApp = kc.client(a.entitlements);
      const newApp = kc.client(b.entitlements);
      assert.equal(oldApp.SecItemAdd({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'MyService', [kSecAttrAccount]: 'me', [kSecValueData]: Buffer.from('s3cret') }).status, errSecSuccess);
      assert.equal(oldApp.SecItemUpdate({ [kSecClass]: kSecClassGenericPassword, [kSecAttrAccessGroup]: 'SKMME9E2Y8.groupA', [kSecAttrService]: 'MyService' }, { [kSecAttrAccessGroup]: AGI }), errSecSuccess);
      const got = newApp.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'MyService', [kSecReturnData]: true });
      assert.equal(got.status, errSecSuccess);
      assert.equal(Buffer.from(got.result as Uint8Array).toString(), 's3cret');
    } finally {
      kc.close();
    }
  });
});
