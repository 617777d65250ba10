import { IpmiError } from '../../protocols/errors.js';
import { DEFAULT_CIPHER_SUITES, selectCipherSuites, type CipherSuite } from '../../protocols/ipmi/cipher-suites.js';
import { Privilege } from '../../protocols/ipmi/constants.js';
import { parseKg, passwordKey, userNameBytes } from '../../protocols/ipmi/keys.js';
import type { IpmiTarget } from './types.js';

/** A target checked once and turned into the bytes the handshake needs. */
export interface ResolvedTarget {
  readonly target: IpmiTarget;
  readonly suites: readonly CipherSuite[];
  readonly userName: Buffer;
  readonly kuid: Buffer;
  readonly kg: Buffer | null;
  readonly privilege: number;
}

/** Validates a target; throws IpmiError IPMI_ERR_BAD_CONFIG / IPMI_ERR_WEAK_CIPHER_SUITE naming the field. */
export function resolveTarget(target: IpmiTarget): ResolvedTarget {
  if (typeof target.host !== 'string' || target.host.length === 0) throw new IpmiError('IPMI_ERR_BAD_CONFIG', 'host is required', 'host');
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    throw new IpmiError('IPMI_ERR_BAD_CONFIG', `port must be 1..65535, got ${String(target.port)}`, 'port');
  }
  const privilege = Object.hasOwn(Privilege, target.privilege) ? Privilege[target.privilege] : undefined;
  if (privilege === undefined || privilege === Privilege.CALLBACK) {
    throw new IpmiError('IPMI_ERR_BAD_CONFIG', 'privilege must be USER, OPERATOR or ADMINISTRATOR', 'privilege');
  }
  const ids = target.cipherSuites && target.cipherSuites.length > 0 ? target.cipherSuites : DEFAULT_CIPHER_SUITES;
  return {
    target,
    suites: selectCipherSuites(ids, target.allowWeakCipherSuites === true),
    userName: userNameBytes(target.user),
    kuid: passwordKey(target.password),
    kg: target.kg !== undefined && target.kg !== '' ? parseKg(target.kg) : null,
    privilege,
  };
}
