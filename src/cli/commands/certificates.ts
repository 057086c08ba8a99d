/**
 * The certificate, key and identity commands of security.c's table:
 * create-keypair, add-certificates, find-key, find-certificate,
 * find-identity, delete-certificate, delete-identity, export and import.
 * Their names, usage texts and options; what they do is in
 * ../run/certificates.ts, ../run/keys.ts and ../run/import-export.ts.
 * @module
 */
import { command, handlerOf } from '../command.js';
import type { OptionTable } from '../options.js';

const SEARCH_LIST_NOTE = 'If no keychains are specified to search, the default search list is used.';

const certificates = () => import('../run/certificates.js');
const keys = () => import('../run/keys.js');
const importExport = () => import('../run/import-export.js');

/** find-identity's policies, in the order security prints their searches (policyFlags bits). */
export const IDENTITY_POLICIES = [
  ['ssl-client', 'SSL (client)'],
  ['ssl-server', 'SSL (server)'],
  ['smime', 'S/MIME'],
  ['eap', 'EAP'],
  ['ipsec', 'IPsec'],
  ['ichat', 'iChat'],
  ['codesigning', 'Code Signing'],
  ['basic', 'X.509 Basic'],
  ['sys-default', 'System default identity'],
  ['sys-kerberos-kdc', 'System Kerberos KDC identity'],
  ['appleID', 'AppleID Sharing'],
  ['macappstore', 'Mac App Store Receipt'],
] as const;

const accessOptions = {
  anyApp: { letter: 'A', help: 'Allow any application to access this key without warning (accepted; changes nothing here)' },
  trustedApp: {
    letter: 'T',
    value: 'appPath',
    multiple: true,
    help: 'Specify an application which may access this key (multiple -T options are allowed);\n-T group://NAME puts the key in access group NAME',
  },
} as const satisfies OptionTable;

export const createKeypairCommand = command('create-keypair',
  '[-h] [-a alg] [-s size] [-f date] [-t date] [-d days] [-k keychain] [-A|-T appPath] [description]',
  'Create an asymmetric key pair.', handlerOf(keys, 'createKeypair'), {
    algorithm: { letter: 'a', value: 'alg', help: 'Use alg as the algorithm: rsa or ec (default rsa; dh, dsa and fee are not supported)' },
    size: { letter: 's', value: 'size', help: 'Specify the keysize in bits (default 2048 for rsa, 256 for ec)' },
    from: { letter: 'f', value: 'date', help: 'Make a key valid from the specified date' },
    to: { letter: 't', value: 'date', help: 'Make a key valid to the specified date' },
    days: { letter: 'd', value: 'days', help: 'Make a key valid for the number of days specified from today' },
    keychain: { letter: 'k', value: 'keychain', help: 'Use the specified keychain rather than the default' },
    ...accessOptions,
  },
  'The private and public keys are labelled with the description (default "<key>").');

export const addCertificatesCommand = command('add-certificates', '[-h] [-k keychain] file...',
  'Add certificates to a keychain.', handlerOf(certificates, 'addCertificates'), {
    keychain: { letter: 'k', value: 'keychain', help: 'Add to this keychain rather than the default keychain' },
  },
  'If no keychain is specified, the certificates are added to the default keychain.\n' +
    'A file holds a DER certificate or PEM text (every CERTIFICATE block is added).');

export const findKeyCommand = command('find-key', '[options...] [keychain...]', 'Find keys in the keychain',
  handlerOf(keys, 'findKey'), {
    applicationLabel: { letter: 'a', value: 'applabel', help: 'Match "application label" string' },
    creator: { letter: 'c', value: 'creator', help: 'Match "creator" (four-character code)' },
    decrypt: { letter: 'd', help: 'Match keys that can decrypt' },
    description: { letter: 'D', value: 'desc', help: 'Match "description" string' },
    encrypt: { letter: 'e', help: 'Match keys that can encrypt' },
    comment: { letter: 'j', value: 'comment', help: 'Match "comment" string' },
    label: { letter: 'l', value: 'label', help: 'Match "label" string' },
    derive: { letter: 'r', help: 'Match keys that can derive' },
    sign: { letter: 's', help: 'Match keys that can sign' },
    type: { letter: 't', value: 'type', help: 'Type of key to find: one of "symmetric", "public", or "private"' },
    unwrap: { letter: 'u', help: 'Match keys that can unwrap' },
    verify: { letter: 'v', help: 'Match keys that can verify' },
    wrap: { letter: 'w', help: 'Match keys that can wrap' },
  },
  SEARCH_LIST_NOTE);

export const findCertificateCommand = command('find-certificate', '[-h] [-a] [-c name] [-e emailAddress] [-m] [-p] [-Z] [keychain...]',
  'Find a certificate item.', handlerOf(certificates, 'findCertificate'), {
    all: { letter: 'a', help: 'Find all matching certificates, not just the first one' },
    name: { letter: 'c', value: 'name', help: 'Match on "name" when searching (optional)' },
    email: { letter: 'e', value: 'emailAddress', help: 'Match on "emailAddress" when searching (optional)' },
    showEmail: { letter: 'm', help: 'Show the email addresses in the certificate' },
    pem: { letter: 'p', help: 'Output certificate in pem format' },
    hash: { letter: 'Z', help: 'Print SHA-256 (and SHA-1) hash of the certificate' },
  },
  SEARCH_LIST_NOTE);

export const findIdentityCommand = command('find-identity', '[-h] [-p policy] [-s string] [-v] [keychain...]',
  'Find an identity (certificate + private key).', handlerOf(certificates, 'findIdentity'), {
    policy: {
      letter: 'p',
      value: 'policy',
      multiple: true,
      help:
        'Specify policy to evaluate (multiple -p options are allowed)\n' +
        'Supported policies: basic, ssl-client, ssl-server, smime, eap,\n' +
        'ipsec, ichat, codesigning, sys-default, sys-kerberos-kdc, macappstore, appleID',
    },
    string: { letter: 's', value: 'string', help: 'Specify optional policy-specific string (e.g. DNS hostname for SSL,\nor RFC822 email address for S/MIME)' },
    validOnly: { letter: 'v', help: 'Show valid identities only (default is to show all identities)' },
  },
  SEARCH_LIST_NOTE);

const deleteOptions = (what: string) =>
  ({
    name: { letter: 'c', value: 'name', help: `Specify ${what} to delete by its common name` },
    hash: { letter: 'Z', value: 'hash', help: `Specify ${what} to delete by its SHA-256 or SHA-1 hash value` },
    trust: { letter: 't', help: 'Also delete user trust settings for this certificate (accepted; there are none here)' },
  }) as const satisfies OptionTable;

export const deleteCertificateCommand = command('delete-certificate', '[-h] [-c name] [-Z hash] [-t] [keychain...]',
  'Delete a certificate from a keychain.', handlerOf(certificates, 'deleteCertificate'), deleteOptions('certificate'),
  'The certificate to be deleted must be uniquely specified either by a\n' +
    'string found in its common name, or by its SHA-256 or SHA-1 hash.\n' +
    SEARCH_LIST_NOTE);

export const deleteIdentityCommand = command('delete-identity', '[-h] [-c name] [-Z hash] [-t] [keychain...]',
  'Delete a certificate and its private key from a keychain.', handlerOf(certificates, 'deleteIdentity'), deleteOptions('identity'),
  'The identity to be deleted must be uniquely specified either by a\n' +
    'string found in its common name, or by its SHA-256 or SHA-1 hash.\n' +
    SEARCH_LIST_NOTE);

export const EXPORT_TYPES = ['certs', 'allKeys', 'pubKeys', 'privKeys', 'identities', 'all'] as const;
export const EXPORT_FORMATS = ['openssl', 'openssh1', 'openssh2', 'bsafe', 'pkcs7', 'pkcs8', 'pkcs12', 'pemseq', 'x509'] as const;
export const IMPORT_TYPES = ['pub', 'priv', 'session', 'cert', 'agg'] as const;
export const IMPORT_FORMATS = ['openssl', 'openssh1', 'openssh2', 'bsafe', 'raw', 'pkcs7', 'pkcs8', 'pkcs12', 'netscape', 'pemseq', 'x509'] as const;

export const exportCommand = command('export', '[-h] [-k keychain] [-t type] [-f format] [-w] [-p] [-P passphrase] [-o outfile]',
  'Export items from a keychain.', handlerOf(importExport, 'exportItems'), {
    keychain: { letter: 'k', value: 'keychain', help: 'keychain to export items from' },
    type: { letter: 't', value: 'type', help: 'Type = certs|allKeys|pubKeys|privKeys|identities|all  (Default: all)' },
    format: {
      letter: 'f',
      value: 'format',
      help: 'Format = openssl|openssh1|openssh2|bsafe|pkcs7|pkcs8|pkcs12|pemseq|x509\n...default format is pemseq for aggregate, openssl for single',
    },
    wrapped: { letter: 'w', help: 'Private keys are wrapped' },
    pem: { letter: 'p', help: 'PEM encode the output' },
    passphrase: { letter: 'P', value: 'passphrase', secret: true, help: 'Specify wrapping passphrase immediately (default is secure passphrase via GUI)' },
    output: { letter: 'o', value: 'outfile', help: 'Specify output file (default is stdout)' },
  });

export const importCommand = command('import', 'inputfile [-k keychain] [-t type] [-f format] [-w] [-P passphrase] [options...]',
  'Import items into a keychain.', handlerOf(importExport, 'importItems'), {
    keychain: { letter: 'k', value: 'keychain', help: 'Target keychain to import into' },
    type: { letter: 't', value: 'type', help: 'Type = pub|priv|session|cert|agg' },
    format: { letter: 'f', value: 'format', help: 'Format = openssl|openssh1|openssh2|bsafe|raw|pkcs7|pkcs8|pkcs12|netscape|pemseq' },
    wrapped: { letter: 'w', help: 'Specify that private keys are wrapped and must be unwrapped on import' },
    nonExtractable: { letter: 'x', help: 'Specify that private keys are non-extractable after being imported' },
    passphrase: { letter: 'P', value: 'passphrase', secret: true, help: 'Specify wrapping passphrase immediately (default is secure passphrase via GUI)' },
    attribute: { letter: 'a', value: 'name', multiple: true, help: 'Specify name and value of extended attribute (can be used multiple times)' },
    anyApp: { letter: 'A', help: 'Allow any application to access the imported key without warning (insecure, not recommended!)' },
    trustedApp: { letter: 'T', value: 'appPath', multiple: true, help: 'Specify an application which may access the imported key (multiple -T options are allowed)' },
  });
