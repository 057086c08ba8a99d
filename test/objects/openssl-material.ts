/**
 * Test material made with the `openssl` command during the run: keys,
 * a CA → intermediate → leaf chain, special-purpose certificates, PKCS#12
 * files, and readings of what openssl reports about them (serial, name
 * bytes, SKI, public key bits).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf]
basicConstraints = CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:leaf.example.com
[noski]
basicConstraints = CA:FALSE
subjectKeyIdentifier = none
authorityKeyIdentifier = none
`;

/** The same, but names use PrintableString where they can (string_mask = default). */
const PRINTABLE_CONFIG = CONFIG.replace('prompt = no', 'prompt = no\nstring_mask = default');

/** A temporary directory where openssl runs. */
export class OpenSSLDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'secitem-certs-'));

  constructor() {
    writeFileSync(join(this.dir, 'openssl.cnf'), CONFIG);
    writeFileSync(join(this.dir, 'printable.cnf'), PRINTABLE_CONFIG);
  }

  /** Runs openssl with the given arguments in the directory; returns stdout. */
  run(...args: string[]): string {
    return execFileSync('openssl', args, { cwd: this.dir, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Runs openssl and returns stdout followed by stderr (where `pkcs12 -info` reports algorithms). */
  runWithStderr(...args: string[]): string {
    const r = spawnSync('openssl', args, { cwd: this.dir, encoding: 'latin1' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
    return r.stdout + r.stderr;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  read(name: string): Uint8Array {
    return new Uint8Array(readFileSync(this.path(name)));
  }

  write(name: string, data: string | Uint8Array): void {
    writeFileSync(this.path(name), data);
  }

  /** An EC P-256 key (PKCS#8 PEM) named `<name>.key`. */
  ecKey(name: string): string {
    this.run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
    return `${name}.key`;
  }

  /** An RSA-2048 key named `<name>.key`. */
  rsaKey(name: string): string {
    this.run('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}.key`);
    return `${name}.key`;
  }

  /** A self-signed certificate `<name>.pem` (v3) with the extensions of a config section. */
  selfSigned(name: string, key: string, subject: string, opts: { section?: string; printable?: boolean; addext?: string[]; serial?: string } = {}): string {
    const args = ['req', '-new', '-x509', '-key', key, '-subj', subject, '-days', '30', '-out', `${name}.pem`];
    args.push('-config', opts.printable ? 'printable.cnf' : 'openssl.cnf', '-extensions', opts.section ?? 'noski');
    for (const e of opts.addext ?? []) args.push('-addext', e);
    if (opts.serial) args.push('-set_serial', opts.serial);
    this.run(...args);
    return `${name}.pem`;
  }

  /** A certificate `<name>.pem` for `key`, issued by `issuer` (cert + key), with a config section's extensions. */
  issued(name: string, key: string, subject: string, issuerCert: string, issuerKey: string, section: string, serial?: string): string {
    this.run('req', '-new', '-key', key, '-subj', subject, '-config', 'openssl.cnf', '-out', `${name}.csr`);
    const args = ['x509', '-req', '-in', `${name}.csr`, '-CA', issuerCert, '-CAkey', issuerKey, '-days', '30'];
    args.push('-extfile', 'openssl.cnf', '-extensions', section, '-out', `${name}.pem`);
    args.push(...(serial ? ['-set_serial', serial] : ['-CAcreateserial']));
    this.run(...args);
    return `${name}.pem`;
  }

  /** A version 1 certificate (no extensions) `<name>.pem`, self-signed. */
  v1(name: string, key: string, subject: string): string {
    this.run('req', '-new', '-key', key, '-subj', subject, '-config', 'openssl.cnf', '-out', `${name}.csr`);
    this.run('x509', '-req', '-in', `${name}.csr`, '-signkey', key, '-days', '30', '-out', `${name}.pem`);
    return `${name}.pem`;
  }

  /** The DER of a PEM certificate. */
  der(pem: string): Uint8Array {
    this.run('x509', '-in', pem, '-outform', 'DER', '-out', `${pem}.der`);
    return this.read(`${pem}.der`);
  }

  /** `openssl x509 -serial` as lower-case hex. */
  serialHex(pem: string): string {
    return this.run('x509', '-in', pem, '-noout', '-serial').trim().replace(/^serial=/, '').toLowerCase();
  }

  /** The SKI as openssl prints it, as bytes; undefined when there is none. */
  subjectKeyId(pem: string): Uint8Array | undefined {
    const text = this.run('x509', '-in', pem, '-noout', '-text');
    const m = /X509v3 Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(text);
    return m ? Uint8Array.from(Buffer.from(m[1]!.replace(/:/g, ''), 'hex')) : undefined;
  }

  /** Lines of `openssl asn1parse` as {offset, depth, hl, l, text}. */
  asn1(file: string, inform: 'PEM' | 'DER' = 'PEM'): { offset: number; depth: number; hl: number; l: number; text: string }[] {
    return this.run('asn1parse', '-in', file, '-inform', inform)
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((line) => {
        const m = /^\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+(.*)$/.exec(line);
        if (!m) throw new Error(`unexpected asn1parse line: ${line}`);
        return { offset: +m[1]!, depth: +m[2]!, hl: +m[3]!, l: +m[4]!, text: m[5]! };
      });
  }

  /** The issuer and subject Name contents of a certificate, cut from its DER at the offsets asn1parse reports. */
  nameContents(pem: string): { issuer: Uint8Array; subject: Uint8Array } {
    const der = this.der(pem);
    const lines = this.asn1(pem);
    const tbsEnd = lines.filter((l) => l.depth === 1)[1]!.offset;
    const fields = lines.filter((l) => l.depth === 2 && l.offset < tbsEnd);
    const first = fields[0]!.text.includes('cont [ 0 ]') ? 1 : 0;
    const cut = (f: { offset: number; hl: number; l: number }) => der.slice(f.offset + f.hl, f.offset + f.hl + f.l);
    return { issuer: cut(fields[first + 2]!), subject: cut(fields[first + 4]!) };
  }

  /** The subjectPublicKey BIT STRING content (without the unused-bits octet) from `openssl x509 -pubkey`. */
  publicKeyBits(pem: string): Uint8Array {
    this.write(`${pem}.pub`, this.run('x509', '-in', pem, '-noout', '-pubkey'));
    this.run('pkey', '-pubin', '-in', `${pem}.pub`, '-outform', 'DER', '-out', `${pem}.pub.der`);
    const spki = this.read(`${pem}.pub.der`);
    const bits = this.asn1(`${pem}.pub.der`, 'DER').find((l) => l.depth === 1 && l.text.includes('BIT STRING'))!;
    return spki.slice(bits.offset + bits.hl + 1, bits.offset + bits.hl + bits.l);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
