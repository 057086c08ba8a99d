/**
 * Entitlements → access groups (Apple's SecTaskCopyAccessGroups): the list is
 * keychain-access-groups, then the application identifier, then application
 * groups; `com.apple.token` goes last and is read-only; `*` grants every
 * group. An add without kSecAttrAccessGroup goes to the first group.
 * @module
 */
import { SecError, errSecMissingEntitlement, errSecParam } from '../status.js';
import type { Entitlements } from '../types.js';

export const TOKEN_GROUP = 'com.apple.token';
export const ANY_GROUP = '*';

function checkGroupList(name: string, value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((g) => typeof g === 'string' && g.length > 0)) {
    throw new SecError(errSecParam, `${name} must be a list of non-empty strings`);
  }
  return value as readonly string[];
}

/** The client's access-group list, in the order the system builds it. */
export function accessGroupList(entitlements: Entitlements): string[] {
  if (typeof entitlements !== 'object' || entitlements === null) throw new SecError(errSecParam, 'entitlements must be an object');
  const appId = entitlements.applicationIdentifier;
  if (typeof appId !== 'string' || appId.length === 0) {
    throw new SecError(errSecParam, 'applicationIdentifier must be a non-empty string');
  }
  // `*` grants every group only from keychain-access-groups (as Apple honours it); as an
  // application identifier or application group it names no group and is left out.
  const notWildcard = (g: string): boolean => g !== ANY_GROUP;
  const ordered = [
    ...checkGroupList('keychainAccessGroups', entitlements.keychainAccessGroups),
    ...[appId].filter(notWildcard),
    ...checkGroupList('applicationGroups', entitlements.applicationGroups).filter(notWildcard),
  ];
  const unique = [...new Set(ordered)];
  return [...unique.filter((g) => g !== TOKEN_GROUP), ...unique.filter((g) => g === TOKEN_GROUP)];
}

/** What one client may read and write, derived once from its group list. */
export class AccessPolicy {
  readonly groups: readonly string[];
  /** Holds `*`: every group is readable and writable. */
  readonly wildcard: boolean;
  readonly #writable: ReadonlySet<string>;

  constructor(groups: readonly string[]) {
    this.groups = groups;
    this.wildcard = groups.includes(ANY_GROUP);
    this.#writable = new Set(groups.filter((g) => g !== TOKEN_GROUP && g !== ANY_GROUP));
  }

  /** The group a new item goes to: the explicit one if writable, else the first. */
  groupForAdd(explicit: string | undefined): string {
    if (explicit !== undefined) return this.checkWritable(explicit);
    const first = this.groups.find((g) => g !== ANY_GROUP && g !== TOKEN_GROUP);
    if (first === undefined) throw new SecError(errSecMissingEntitlement, 'the client has no writable access group');
    return first;
  }

  /** Refuses a group the client may not write to. */
  checkWritable(group: string): string {
    if (group === TOKEN_GROUP || !(this.wildcard || this.#writable.has(group))) {
      throw new SecError(errSecMissingEntitlement, `the client is not entitled to access group "${group}"`);
    }
    return group;
  }

  /**
   * The groups a query searches: the explicit group (which must be the
   * client's) or all of the client's; undefined means every group (`*`).
   */
  groupsToSearch(explicit: string | undefined, write: boolean): readonly string[] | undefined {
    if (explicit !== undefined) {
      if (write) this.checkWritable(explicit);
      else if (!this.wildcard && !this.groups.includes(explicit)) {
        throw new SecError(errSecMissingEntitlement, `the client is not entitled to access group "${explicit}"`);
      }
      return [explicit];
    }
    if (this.wildcard) return undefined;
    return write ? [...this.#writable] : this.groups;
  }
}
