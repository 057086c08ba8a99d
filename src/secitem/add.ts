/**
 * SecItemAdd: an add dictionary becomes one new sealed row, in one write
 * transaction; attributes with a compute hook (access group, protection
 * class, dates) take the schema's value, absent key attributes their
 * defaults.
 * @module
 */
import { SecError, errSecDuplicateItem } from '../status.js';
import { parseDictionary, protectionOf } from '../dictionary/parse.js';
import { makePersistentRef } from '../dictionary/persistent-ref.js';
import { shapeItem, wantsResult } from '../results/shape.js';
import type { ComputeContext } from '../schema/model.js';
import { defaultValue, type AttrValue, type Item } from '../schema/values.js';
import { uuidAt } from '../store/row-uuid.js';
import type { SecDictionary } from '../types.js';
import type { ClientContext, Engine } from './context.js';
import { forgetItem, sealRow } from './rows.js';
import { duplicateReason, isUniqueViolation } from './search.js';
import { expandValueRef } from './value-ref.js';
import { APPLICATION_PASSWORD_VERIFIER, accessControlOf, applicationPasswordFor } from './authorization.js';

export function add(engine: Engine, client: ClientContext, attributes: SecDictionary): unknown {
  const q = parseDictionary(expandValueRef(attributes, false, engine.objects), 'add');
  const ctx: ComputeContext = {
    now: new Date(),
    groupForAdd: (given) => client.access.groupForAdd(given),
    namedProtection: protectionOf(q.attrs),
    defaultProtection: q.cls.defaultProtection,
  };
  const attrs = new Map<string, AttrValue>();
  for (const attr of q.cls.attrs) {
    const given = q.attrs.get(attr.code);
    const v = attr.computeOnAdd !== undefined ? (attr.computeOnAdd(given, undefined, ctx) as AttrValue | undefined) : (given ?? defaultValue(attr));
    if (v !== undefined) attrs.set(attr.code, v);
  }
  const verifier = applicationPasswordFor(accessControlOf(attrs), q.authContext, q.operationPrompt);
  if (verifier !== undefined) attrs.set(APPLICATION_PASSWORD_VERIFIER, verifier);
  const item: Item = { attrs, data: q.data };
  const table = engine.db.table(q.cls.name);
  try {
    return engine.db.write(() => {
      const uuid = uuidAt(table.nextRowid());
      // Sealing needs the class key, so a locked class fails before any duplicate check, as on a device.
      table.insert(sealRow(engine, q.cls, uuid, item));
      // The result is made inside the transaction: an item whose reference cannot be made (a key item's data
      // that is no key of its type) fails the call, and then nothing was added.
      return wantsResult(q.returns) ? shapeItem(q.cls, item, () => makePersistentRef(q.cls.name, uuid), q.returns, engine.objects.kindFor(q.cls.name)) : undefined;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new SecError(errSecDuplicateItem, duplicateReason(q));
    throw e;
  } finally {
    forgetItem(item); // the copies of the caller's bytes; a result holds copies of its own
  }
}
