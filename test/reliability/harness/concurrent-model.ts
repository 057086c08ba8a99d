/** Names shared by the concurrent-writers harness and its child. */
export const CONC_APP = 'CONCTEAM.app';
export const CONC_GROUPS = ['CONCTEAM.grp-Ocelot', 'CONCTEAM.grp-Margay'] as const;
export const SHARED_SERVICE = 'conc-shared-service-Pangolin';
export const concEntitlements = { applicationIdentifier: CONC_APP, keychainAccessGroups: [...CONC_GROUPS] };
export const ownService = (index: number): string => `conc-service-w${index}-Tapir`;
export const ownAccounts = (index: number): string[] => Array.from({ length: 6 }, (_, k) => `conc-account-w${index}-${k}-Okapi`);
