/**
 * kSecClassIdentity (`class=idnt`) as `item` sees it. The keychain stores no
 * identities: an identity is a certificate and the private key whose
 * application label (klbl) is the certificate's public key hash (pkhh), and
 * the engine joins the two (src/secitem/identity.ts). For `item` the class
 * is a schema to type values with: the certificate's attributes for the
 * ones an identity query takes from the certificate, the key's for the rest
 * (an identity's attributes are the key's overwritten by the certificate's).
 * @module
 */
import { itemClasses } from '../../schema/classes.js';
import type { AttrDef, ClassDef } from '../../schema/model.js';

/** kSecClassIdentity. */
export const IDENTITY_CLASS = 'idnt';

/** Attributes an identity query takes from the certificate (as the engine's join does). */
const CERTIFICATE_SIDE: ReadonlySet<string> = new Set(['labl', 'issr', 'slnr', 'skid', 'tkid', 'ctyp', 'cenc', 'subj', 'pkhh']);

function identitySchema(): ClassDef {
  const cert = itemClasses.get('cert')!;
  const keys = itemClasses.get('keys')!;
  const byCode = new Map<string, AttrDef>();
  for (const a of keys.attrs) if (!CERTIFICATE_SIDE.has(a.code)) byCode.set(a.code, a);
  for (const a of cert.attrs) if (CERTIFICATE_SIDE.has(a.code) || !byCode.has(a.code)) byCode.set(a.code, a);
  // Only `name` and `byCode` are read by item's codecs; the rest is the key class's.
  return { ...keys, name: IDENTITY_CLASS, attrs: [...byCode.values()], byCode };
}

/** The identity pseudo-class, for typing `attr=value` words and -j values. */
export const identityClass: ClassDef = identitySchema();

/** The schema of a `class=` value: a stored class, the identity pseudo-class, or none. */
export function classDefOf(name: string): ClassDef | undefined {
  return name === IDENTITY_CLASS ? identityClass : itemClasses.get(name);
}
