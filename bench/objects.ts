/**
 * Certificates, identities and signatures against their floors, measured in
 * one process, slice by slice (floor, then secitem, so both see the same
 * moments of a noisy machine):
 *  - certificate add: SecCertificateCreateWithData + SecItemAdd by reference,
 *    against node:crypto's X509Certificate parse + one envelope-sealed row
 *    with a keyed-hash index (the encrypted-SQLite floor of bench/run.ts);
 *  - certificate find (data): against that row read back and opened;
 *  - identity lookup by label (kSecReturnRef), judged against a certificate
 *    lookup by label (kSecReturnRef): the target is within 2×;
 *  - P-256 signature (ECDSA, SHA-256, 32 bytes) with an in-process key and
 *    with an enclave key, against node:crypto's sign with a KeyObject.
 * @module
 */
import Database from 'better-sqlite3';
import { createHash, createHmac, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  KeyIdentifier,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_subjectKeyIdentifier,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import {
  openKeychain,
  SecCertificateCreateWithData,
  SecIdentity,
  SecKey,
  SecKeyCreateSignature,
  kSecKeyAlgorithmECDSASignatureMessageX962SHA256,
} from '../src/index.js';
import { envelopeOpen, envelopeSeal } from './floor.js';

export interface ObjectFigure {
  workload: string;
  secitemUs: number;
  /** The floor's median µs, or the reference workload's for a judged pair. */
  floorUs: number;
  floor: string;
  ratio: number;
}

const ECDSA_SHA256 = '1.2.840.10045.4.3.2';

/** A self-signed P-256 certificate for CN=`cn`, made in-process (asn1-x509 for the structure, node:crypto to sign). */
export function makeCertificate(cn: string, serial: number): { der: Uint8Array; key: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const name = new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: cn }) })])]);
  // DER integers have no leading zero byte: a first byte of 1 keeps every serial minimal and positive.
  const spki = AsnConvert.parse(publicKey.export({ format: 'der', type: 'spki' }), SubjectPublicKeyInfo);
  const keyId = createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest();
  const serialBytes = Buffer.from([1, (serial >> 16) & 255, (serial >> 8) & 255, serial & 255]);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialBytes.buffer.slice(serialBytes.byteOffset, serialBytes.byteOffset + 4),
    signature: new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 }),
    issuer: name,
    validity: new Validity({ notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + 86_400_000) }),
    subject: name,
    subjectPublicKeyInfo: spki,
    // The extensions openssl puts in a self-signed certificate by default: the certificates measured are
    // parsed as much as real ones are (subject key ID, authority key ID, basic constraints).
    extensions: new Extensions([
      new Extension({ extnID: id_ce_subjectKeyIdentifier, critical: false, extnValue: new OctetString(AsnConvert.serialize(new SubjectKeyIdentifier(keyId))) }),
      new Extension({ extnID: id_ce_authorityKeyIdentifier, critical: false, extnValue: new OctetString(AsnConvert.serialize(new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyId) }))) }),
      new Extension({ extnID: id_ce_basicConstraints, critical: true, extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA: true }))) }),
    ]),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign('sha256', tbsDer, privateKey);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 }), signatureValue: new Uint8Array(signature).buffer });
  return { der: new Uint8Array(AsnConvert.serialize(cert)), key: privateKey };
}

/** Medians of two operations timed in alternating slices. */
function compare(calls: number, slice: number, floorOp: (i: number) => void, secOp: (i: number) => void): { floorUs: number; secUs: number } {
  const lat = { floor: [] as number[], sec: [] as number[] };
  for (let from = 0; from < calls; from += slice) {
    for (const [op, out] of [[floorOp, lat.floor], [secOp, lat.sec]] as const) {
      for (let i = from; i < Math.min(calls, from + slice); i++) {
        const t = performance.now();
        op(i);
        out.push((performance.now() - t) * 1000);
      }
    }
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { floorUs: median(lat.floor), secUs: median(lat.sec) };
}

export function measureObjects(options: { quick: boolean }): ObjectFigure[] {
  const n = options.quick ? 400 : 1000;
  const dir = mkdtempSync(join(tmpdir(), 'secitem-bench-objects-'));
  const figures: ObjectFigure[] = [];
  const push = (workload: string, floor: string, r: { floorUs: number; secUs: number }): void => {
    figures.push({ workload, secitemUs: r.secUs, floorUs: r.floorUs, floor, ratio: r.secUs / r.floorUs });
  };
  try {
    const kc = openKeychain({ path: join(dir, 'objects.keychain-db') });
    const app = kc.client({ applicationIdentifier: 'BENCH00000.com.example.bench' });
    const certs = Array.from({ length: 2 * n }, (_, i) => makeCertificate(`bench-${i}`, i));

    // The floor: one row per certificate, indexed by a keyed hash of its subject.
    const db = new Database(join(dir, 'floor.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, h BLOB NOT NULL UNIQUE, blob BLOB NOT NULL)');
    const ins = db.prepare('INSERT INTO items (h, blob) VALUES (?, ?)');
    const get = db.prepare('SELECT blob FROM items WHERE h = ?').pluck();
    const hmacKey = randomBytes(32);
    const h = (subject: string): Buffer => createHmac('sha256', hmacKey).update(subject).digest().subarray(0, 16);
    const floorAdd = (i: number): void => {
      const x = new X509Certificate(certs[i]!.der);
      db.transaction(() => ins.run(h(x.subject), envelopeSeal(Buffer.from(certs[i]!.der))))();
    };
    push('certificate add (by reference)', 'X509Certificate + sealed row', compare(n, 25, floorAdd, (i) => {
      app.SecItemAdd({ v_Ref: SecCertificateCreateWithData(certs[i]!.der) });
    }));
    push('certificate find by label (data)', 'sealed row read', compare(n, 100, (i) => envelopeOpen(get.get(h(`CN=bench-${i}`)) as Buffer), (i) => {
      app.SecItemCopyMatching({ class: 'cert', labl: `bench-${i}`, r_Data: true });
    }));

    // Identities: the second half of the certificates, added with their keys.
    kc.batch(() => {
      for (let i = n; i < 2 * n; i++) {
        const key = SecKey.fromPrivateKeyObject(certs[i]!.key, (k) => createPublicKey(k));
        app.SecItemAdd({ v_Ref: new SecIdentity(SecCertificateCreateWithData(certs[i]!.der)!, key) });
      }
    });
    const certLookup = (i: number): void => void app.SecItemCopyMatching({ class: 'cert', labl: `bench-${n + i}`, r_Ref: true });
    const identityLookup = (i: number): void => void app.SecItemCopyMatching({ class: 'idnt', labl: `bench-${n + i}`, r_Ref: true });
    for (let i = 0; i < 200; i++) { certLookup(i); identityLookup(i); }
    // Five passes over the identities: a median of 2,000 calls or more, as the copies of bench/run.ts.
    push('identity lookup by label (ref)', 'certificate lookup by label (ref)', compare(5 * n, 100, (i) => certLookup(i % n), (i) => identityLookup(i % n)));

    // Signatures.
    const digestInput = randomBytes(32);
    const local = certs[0]!.key;
    const inProcess = SecKey.fromPrivateKeyObject(local, (k) => createPublicKey(k));
    const nodeSign = (): void => void sign('sha256', digestInput, local);
    push('P-256 sign (in-process key)', 'node:crypto sign', compare(n, 100, nodeSign, () => {
      SecKeyCreateSignature(inProcess, kSecKeyAlgorithmECDSASignatureMessageX962SHA256, digestInput);
    }));
    const enclaveKey = app.SecKeyCreateRandomKey({ type: '73', bsiz: 256, tkid: 'com.apple.setoken' }).value!;
    push('P-256 sign (enclave key)', 'node:crypto sign', compare(n, 100, nodeSign, () => {
      SecKeyCreateSignature(enclaveKey, kSecKeyAlgorithmECDSASignatureMessageX962SHA256, digestInput);
    }));
    db.close();
    kc.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

export function formatObjects(figures: ObjectFigure[]): string {
  const pad = (s: string, w: number): string => s.padEnd(w);
  const lines = [`${pad('workload', 36)}${pad('median µs', 12)}${pad('against', 36)}${pad('its µs', 10)}ratio`];
  for (const f of figures) lines.push(`${pad(f.workload, 36)}${pad(f.secitemUs.toFixed(1), 12)}${pad(f.floor, 36)}${pad(f.floorUs.toFixed(1), 10)}${f.ratio.toFixed(2)}×`);
  return lines.join('\n') + '\n';
}
