/**
 * SecItemUpdate: every item the pure query matches gets the update
 * dictionary's attributes (and data), in one write transaction: all of them
 * change, or none do.
 * @module
 */
import { SecError, errSecDuplicateItem, errSecItemNotFound, errSecParam } from '../status.js';
import { SECURE_ENCLAVE_TOKEN_ID } from '../enclave/enclave.js';
import { APPLICATION_PASSWORD_VERIFIER, accessControlOf, applicationPasswordFor } from './authorization.js';
import { parseDictionary, parseUpdateAttributes, protectionOf } from '../dictionary/parse.js';
import type { ClassDef, ComputeContext } from '../schema/model.js';
import { isAccessControl, sameValue, type AttrValue } from '../schema/values.js';
import type { SecDictionary } from '../types.js';
import type { ClientContext, Engine } from './context.js';
import { forgetItem, sealRow } from './rows.js';
import { duplicateReason, isUniqueViolation, searchFor } from './search.js';
import { expandValueRef, refuseValueRefInUpdate, withCanonicalIssuer } from './value-ref.js';

/** The codes of the attributes whose value differs between two versions of an item. */
function changedAttributes(cls: ClassDef, before: ReadonlyMap<string, AttrValue>, after: ReadonlyMap<string, AttrValue>): Set<string> {
  const changed = new Set<string>();
  for (const attr of cls.attrs) {
    const a = before.get(attr.code);
    const b = after.get(attr.code);
    if (a === undefined && b === undefined) continue;
    if (a === undefined || b === undefined || !sameValue(attr, a, b)) changed.add(attr.code);
  }
  return changed;
}

export function update(engine: Engine, client: ClientContext, query: SecDictionary, attributesToUpdate: SecDictionary): void {
  const q = parseDictionary(expandValueRef(query, true, engine.objects), 'update');
  refuseValueRefInUpdate(attributesToUpdate);
  const { cls } = q;
  const changes = parseUpdateAttributes(cls, withCanonicalIssuer(attributesToUpdate));
  const agrp = cls.byRole.get('accessGroup')!.code;
  const pdmn = cls.byRole.get('protection')!.code;
  const accc = cls.byRole.get('accessControl')!.code;
  const newGroup = changes.attrs.get(agrp);
  if (newGroup !== undefined) client.access.checkWritable(newGroup as string);
  const newProtection = protectionOf(changes.attrs);
  const search = searchFor(engine, client, q, true);
  const table = engine.db.table(cls.name);
  const ctx: ComputeContext = {
    now: new Date(),
    groupForAdd: (given) => client.access.groupForAdd(given),
    namedProtection: newProtection,
    defaultProtection: cls.defaultProtection,
  };
  engine.db.write(() => {
    const rows = table.select(search.selection);
    if (rows.length === 0) throw new SecError(errSecItemNotFound, 'no item matches the query among the access groups the caller may change');
    // Every row is opened before any is written: a write rewrites the ledger bucket the other rows were read with.
    const opened = rows.map((row) => ({ row, old: search.open(row) }));
    for (const { row, old } of opened) {
      const attrs = new Map([...old.attrs, ...changes.attrs]);
      // The enclave bound the key to its access control and protection class when it made it (seed "Add-only Attributes").
      if ((changes.attrs.has(accc) || newProtection !== undefined) && old.attrs.get('tkid') === SECURE_ENCLAVE_TOKEN_ID) {
        throw new SecError(errSecParam, 'kSecAttrAccessControl and kSecAttrAccessible of a Secure Enclave key are set when the key is added and cannot be changed');
      }
      if (changes.attrs.has(accc)) {
        const verifier = applicationPasswordFor(accessControlOf(attrs), q.authContext, q.operationPrompt);
        if (verifier === undefined) attrs.delete(APPLICATION_PASSWORD_VERIFIER);
        else attrs.set(APPLICATION_PASSWORD_VERIFIER, verifier);
      }
      if (newProtection !== undefined) {
        attrs.set(pdmn, newProtection);
        // An access control that names another protection class no longer describes the item.
        const control = attrs.get(accc);
        if (isAccessControl(control) && control.protection !== newProtection) attrs.delete(accc);
      }
      for (const attr of cls.attrs) {
        if (attr.computeOnUpdate === undefined) continue;
        const v = attr.computeOnUpdate(changes.attrs.get(attr.code), old.attrs.get(attr.code), ctx) as AttrValue | undefined;
        if (v === undefined) attrs.delete(attr.code);
        else attrs.set(attr.code, v);
      }
      const changed = changedAttributes(cls, old.attrs, attrs);
      const sealed = sealRow(engine, cls, row.persistref, { attrs, data: changes.data ?? old.data }, changed);
      forgetItem(old); // sealed: the new version shares its unchanged bytes, and is not needed either
      try {
        // A single row's ledger bucket is as the select read it; with more rows, an earlier one may have rewritten it.
        table.update(row.rowid, sealed, changed, rows.length === 1 ? row : undefined);
      } catch (e) {
        if (isUniqueViolation(e)) throw new SecError(errSecDuplicateItem, duplicateReason(q));
        throw e;
      }
    }
  });
}
