import type { IpmiConfig } from '../config/types.js';
import type { IpmiTarget } from './types.js';

/**
 * A server's validated `ipmi:` config block as the IpmiTarget the service takes. The config loader
 * already applied the defaults (port 623, suites [17, 3], ADMINISTRATOR) and refused weak suites
 * unless allowed; this only changes the shape.
 */
export function ipmiTargetOf(c: IpmiConfig): IpmiTarget {
  return {
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    ...(c.kg !== undefined ? { kg: c.kg } : {}),
    cipherSuites: c.cipherSuites,
    privilege: c.privilege,
    allowWeakCipherSuites: c.allowWeakCipherSuites,
    solTakeover: c.solTakeover,
  };
}
