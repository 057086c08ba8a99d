/**
 * The four SecItem functions as a client calls them: an identity (by
 * kSecValueRef, kSecClassIdentity or an identity persistent reference) is
 * split into its certificate and key (secitem/identity.ts); everything else
 * goes straight to the function's own module. Each dictionary is read once,
 * into a copy of its own (ownDictionary), before anything looks at it.
 * @module
 */
import { ownDictionary } from '../dictionary/parse.js';
import type { SecDictionary } from '../types.js';
import { add } from './add.js';
import type { ClientContext, Engine } from './context.js';
import { copyMatching } from './copy-matching.js';
import { remove } from './delete.js';
import { addIdentity, copyMatchingIdentity, copyMatchingIdentityRef, deleteIdentity, isIdentityRef, namesIdentityClass, updateIdentity } from './identity.js';
import { update } from './update.js';

export function itemAdd(engine: Engine, client: ClientContext, given: SecDictionary): unknown {
  const attributes = ownDictionary(given);
  return isIdentityRef(attributes) ? addIdentity(engine, client, attributes) : add(engine, client, attributes);
}

export function itemCopyMatching(engine: Engine, client: ClientContext, given: SecDictionary): unknown {
  const query = ownDictionary(given);
  if (isIdentityRef(query)) return copyMatchingIdentityRef(engine, client, query);
  if (namesIdentityClass(query)) return copyMatchingIdentity(engine, client, query);
  return copyMatching(engine, client, query);
}

export function itemUpdate(engine: Engine, client: ClientContext, givenQuery: SecDictionary, givenAttributes: SecDictionary): void {
  const query = ownDictionary(givenQuery);
  const attributesToUpdate = ownDictionary(givenAttributes);
  if (isIdentityRef(query) || namesIdentityClass(query)) updateIdentity(engine, client, query, attributesToUpdate);
  else update(engine, client, query, attributesToUpdate);
}

export function itemDelete(engine: Engine, client: ClientContext, given: SecDictionary): void {
  const query = ownDictionary(given);
  if (isIdentityRef(query) || namesIdentityClass(query)) deleteIdentity(engine, client, query);
  else remove(engine, client, query);
}
