/**
 * The kSec* dictionary keys and values, with Apple's own string values
 * (OSX/sec/Security/SecItemConstants.c), so a dictionary written against
 * Apple's documentation means the same thing here.
 * @module
 */

// ── Item class ───────────────────────────────────────────────────────────────
export const kSecClass = 'class';
export const kSecClassGenericPassword = 'genp';
export const kSecClassInternetPassword = 'inet';
export const kSecClassCertificate = 'cert';
export const kSecClassKey = 'keys';
export const kSecClassIdentity = 'idnt';

// ── Attribute keys ───────────────────────────────────────────────────────────
export const kSecAttrAccessible = 'pdmn';
export const kSecAttrAccessControl = 'accc';
export const kSecAttrAccessGroup = 'agrp';
export const kSecAttrCreationDate = 'cdat';
export const kSecAttrModificationDate = 'mdat';
export const kSecAttrDescription = 'desc';
export const kSecAttrComment = 'icmt';
export const kSecAttrCreator = 'crtr';
export const kSecAttrType = 'type';
export const kSecAttrLabel = 'labl';
export const kSecAttrIsInvisible = 'invi';
export const kSecAttrIsNegative = 'nega';
export const kSecAttrAccount = 'acct';
export const kSecAttrService = 'svce';
export const kSecAttrGeneric = 'gena';
export const kSecAttrSecurityDomain = 'sdmn';
export const kSecAttrServer = 'srvr';
export const kSecAttrProtocol = 'ptcl';
export const kSecAttrAuthenticationType = 'atyp';
export const kSecAttrPort = 'port';
export const kSecAttrPath = 'path';
export const kSecAttrAlias = 'alis';
export const kSecAttrSubject = 'subj';
export const kSecAttrIssuer = 'issr';
export const kSecAttrSerialNumber = 'slnr';
export const kSecAttrSubjectKeyID = 'skid';
export const kSecAttrPublicKeyHash = 'pkhh';
export const kSecAttrCertificateType = 'ctyp';
export const kSecAttrCertificateEncoding = 'cenc';
export const kSecAttrKeyClass = 'kcls';
export const kSecAttrApplicationLabel = 'klbl';
export const kSecAttrIsPermanent = 'perm';
export const kSecAttrIsPrivate = 'priv';
export const kSecAttrIsModifiable = 'modi';
export const kSecAttrApplicationTag = 'atag';
export const kSecAttrKeyCreator = 'crtr';
export const kSecAttrKeyType = 'type';
export const kSecAttrKeySizeInBits = 'bsiz';
export const kSecAttrEffectiveKeySize = 'esiz';
export const kSecAttrStartDate = 'sdat';
export const kSecAttrEndDate = 'edat';
export const kSecAttrIsSensitive = 'sens';
export const kSecAttrWasAlwaysSensitive = 'asen';
export const kSecAttrIsExtractable = 'extr';
export const kSecAttrWasNeverExtractable = 'next';
export const kSecAttrCanEncrypt = 'encr';
export const kSecAttrCanDecrypt = 'decr';
export const kSecAttrCanDerive = 'drve';
export const kSecAttrCanSign = 'sign';
export const kSecAttrCanVerify = 'vrfy';
export const kSecAttrCanSignRecover = 'snrc';
export const kSecAttrCanVerifyRecover = 'vyrc';
export const kSecAttrCanWrap = 'wrap';
export const kSecAttrCanUnwrap = 'unwp';
export const kSecAttrSyncViewHint = 'vwht';
export const kSecAttrTokenID = 'tkid';
export const kSecAttrSynchronizable = 'sync';
export const kSecAttrScriptCode = 'scrp';
export const kSecAttrHasCustomIcon = 'cusi';
export const kSecAttrTombstone = 'tomb';
export const kSecAttrMultiUser = 'musr';
export const kSecAttrSHA1 = 'sha1';
export const kSecAttrPersistentReference = 'persistref';
/** Apple's internal app-clip marker: rejected in every caller dictionary. */
export const kSecAttrAppClipItem = 'clip';
export const kSecDataInetExtraNotes = 'binn';
export const kSecDataInetExtraHistory = 'bini';
export const kSecDataInetExtraClientDefined0 = 'bin0';
export const kSecDataInetExtraClientDefined1 = 'bin1';
export const kSecDataInetExtraClientDefined2 = 'bin2';
export const kSecDataInetExtraClientDefined3 = 'bin3';

// ── kSecAttrAccessible values ────────────────────────────────────────────────
export const kSecAttrAccessibleWhenUnlocked = 'ak';
export const kSecAttrAccessibleAfterFirstUnlock = 'ck';
export const kSecAttrAccessibleAlways = 'dk';
export const kSecAttrAccessibleWhenUnlockedThisDeviceOnly = 'aku';
export const kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly = 'cku';
export const kSecAttrAccessibleAlwaysThisDeviceOnly = 'dku';
export const kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly = 'akpu';

// ── Search (match) keys and values ───────────────────────────────────────────
export const kSecMatchPolicy = 'm_Policy';
export const kSecMatchItemList = 'm_ItemList';
export const kSecMatchSearchList = 'm_SearchList';
export const kSecMatchIssuers = 'm_Issuers';
export const kSecMatchEmailAddressIfPresent = 'm_EmailAddressIfPresent';
export const kSecMatchSubjectContains = 'm_SubjectContains';
export const kSecMatchHostOrSubdomainOfHost = 'm_HostOrSubdomainOfHost';
export const kSecMatchCaseInsensitive = 'm_CaseInsensitive';
export const kSecMatchTrustedOnly = 'm_TrustedOnly';
export const kSecMatchValidOnDate = 'm_ValidOnDate';
export const kSecMatchLimit = 'm_Limit';
export const kSecMatchLimitOne = 'm_LimitOne';
export const kSecMatchLimitAll = 'm_LimitAll';

// ── Return type keys ─────────────────────────────────────────────────────────
export const kSecReturnData = 'r_Data';
export const kSecReturnAttributes = 'r_Attributes';
export const kSecReturnRef = 'r_Ref';
export const kSecReturnPersistentRef = 'r_PersistentRef';

// ── Value type keys ──────────────────────────────────────────────────────────
export const kSecValueData = 'v_Data';
export const kSecValueRef = 'v_Ref';
export const kSecValuePersistentRef = 'v_PersistentRef';

// ── Use keys ─────────────────────────────────────────────────────────────────
export const kSecUseItemList = 'u_ItemList';
export const kSecUseOperationPrompt = 'u_OpPrompt';
export const kSecUseNoAuthenticationUI = 'u_NoAuthUI';
export const kSecUseAuthenticationUI = 'u_AuthUI';
export const kSecUseAuthenticationUIAllow = 'u_AuthUIA';
export const kSecUseAuthenticationUIFail = 'u_AuthUIF';
export const kSecUseAuthenticationUISkip = 'u_AuthUIS';
export const kSecUseAuthenticationContext = 'u_AuthCtx';
export const kSecUseDataProtectionKeychain = 'nleg';
export const kSecUseCallerName = 'u_CallerName';

// ── Other values ─────────────────────────────────────────────────────────────
export const kSecAttrSynchronizableAny = 'syna';
export const kSecAttrAccessGroupToken = 'com.apple.token';
export const kSecAttrTokenIDSecureEnclave = 'com.apple.setoken';
export const kSecAttrKeyClassPublic = '0';
export const kSecAttrKeyClassPrivate = '1';
export const kSecAttrKeyClassSymmetric = '2';
export const kSecAttrKeyTypeRSA = '42';
export const kSecAttrKeyTypeEC = '73';
export const kSecAttrKeyTypeECSECPrimeRandom = '73';

// kSecAttrProtocol values (four-character codes, some with a trailing space).
export const kSecAttrProtocolFTP = 'ftp ';
export const kSecAttrProtocolFTPAccount = 'ftpa';
export const kSecAttrProtocolHTTP = 'http';
export const kSecAttrProtocolIRC = 'irc ';
export const kSecAttrProtocolNNTP = 'nntp';
export const kSecAttrProtocolPOP3 = 'pop3';
export const kSecAttrProtocolSMTP = 'smtp';
export const kSecAttrProtocolSOCKS = 'sox ';
export const kSecAttrProtocolIMAP = 'imap';
export const kSecAttrProtocolLDAP = 'ldap';
export const kSecAttrProtocolAppleTalk = 'atlk';
export const kSecAttrProtocolAFP = 'afp ';
export const kSecAttrProtocolTelnet = 'teln';
export const kSecAttrProtocolSSH = 'ssh ';
export const kSecAttrProtocolFTPS = 'ftps';
export const kSecAttrProtocolHTTPS = 'htps';
export const kSecAttrProtocolHTTPProxy = 'htpx';
export const kSecAttrProtocolHTTPSProxy = 'htsx';
export const kSecAttrProtocolFTPProxy = 'ftpx';
export const kSecAttrProtocolSMB = 'smb ';
export const kSecAttrProtocolRTSP = 'rtsp';
export const kSecAttrProtocolRTSPProxy = 'rtsx';
export const kSecAttrProtocolDAAP = 'daap';
export const kSecAttrProtocolEPPC = 'eppc';
export const kSecAttrProtocolIPP = 'ipp ';
export const kSecAttrProtocolNNTPS = 'ntps';
export const kSecAttrProtocolLDAPS = 'ldps';
export const kSecAttrProtocolTelnetS = 'tels';
export const kSecAttrProtocolIMAPS = 'imps';
export const kSecAttrProtocolIRCS = 'ircs';
export const kSecAttrProtocolPOP3S = 'pops';

// kSecAttrAuthenticationType values.
export const kSecAttrAuthenticationTypeNTLM = 'ntlm';
export const kSecAttrAuthenticationTypeMSN = 'msna';
export const kSecAttrAuthenticationTypeDPA = 'dpaa';
export const kSecAttrAuthenticationTypeRPA = 'rpaa';
export const kSecAttrAuthenticationTypeHTTPBasic = 'http';
export const kSecAttrAuthenticationTypeHTTPDigest = 'httd';
export const kSecAttrAuthenticationTypeHTMLForm = 'form';
export const kSecAttrAuthenticationTypeDefault = 'dflt';

// SecAccessControlCreateFlags (SecAccessControl.h).
export const kSecAccessControlUserPresence = 1 << 0;
export const kSecAccessControlBiometryAny = 1 << 1;
export const kSecAccessControlBiometryCurrentSet = 1 << 3;
export const kSecAccessControlDevicePasscode = 1 << 4;
export const kSecAccessControlWatch = 1 << 5;
export const kSecAccessControlOr = 1 << 14;
export const kSecAccessControlAnd = 1 << 15;
export const kSecAccessControlPrivateKeyUsage = 2 ** 30;
export const kSecAccessControlApplicationPassword = 2 ** 31;
