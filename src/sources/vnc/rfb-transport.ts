import { connect } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * How the RFB client (VncSource) reaches its server: any byte pipe. A TCP socket for `vnc` consoles;
 * bmcweb's KVM WebSocket for `openbmc` (src/sources/openbmc/), where the RFB server (obmc-ikvm) sits
 * behind the BMC's web server. `open()` is called for every connection attempt, reconnects included;
 * the stream reports failures as 'error' and its end as 'close', like a net.Socket.
 */
export interface RfbTransport {
  open(): Duplex;
}

/** RFB over TCP (RFC 6143 §1: port 5900 + display by convention). */
export function tcpTransport(host: string, port: number): RfbTransport {
  return { open: () => connect({ host, port, noDelay: true }) };
}
