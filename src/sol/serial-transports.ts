import type { ServerConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import { ipmiTargetOf } from '../ipmi/config-target.js';
import type { IpmiService } from '../ipmi/ipmi-service.js';
import type { Logger } from '../log.js';
import { bmcwebSerialTransport } from '../sources/openbmc/bmcweb-console.js';
import { ipmiSerialTransport } from './ipmi-serial.js';
import type { SerialTransport } from './serial-port.js';

/**
 * Which serial console a server's SOL page uses: an OpenBMC server's (`console.type: openbmc`) is
 * bmcweb's host console WebSocket, which needs no IPMI — and is preferred even when `ipmi` is
 * configured too (TCP rather than SOL's retransmitted UDP, the same console behind both); any other
 * server's is IPMI SOL on its `ipmi` block. Neither: GW_ERR_NO_IPMI.
 */
export function serialTransportFor(server: ServerConfig, service: IpmiService, log: Logger): SerialTransport {
  if (server.console?.type === 'openbmc') return bmcwebSerialTransport(server.console, log);
  if (server.ipmi) return ipmiSerialTransport(service, ipmiTargetOf(server.ipmi));
  throw new GatewayError('GW_ERR_NO_IPMI', `server "${server.id}" has no serial console: no ipmi configured, and its console is not openbmc`);
}
