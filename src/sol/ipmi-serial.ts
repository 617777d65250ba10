import type { IpmiService } from '../ipmi/ipmi-service.js';
import type { SolCloseReason, SolConnection } from '../ipmi/sol-connection.js';
import type { IpmiTarget } from '../ipmi/types.js';
import type { SerialPort, SerialPortEnd, SerialTransport } from './serial-port.js';
import { describe } from './sol-session.js';

/** The serial console over IPMI Serial-over-LAN on the shared RMCP+ session (docs/ipmi.md). */
export function ipmiSerialTransport(service: IpmiService, target: IpmiTarget): SerialTransport {
  return {
    kind: 'SOL',
    // Get Chassis Status on the shared session: a wrong password or a dead BMC shows at once.
    check: async () => {
      await service.status(target);
    },
    open: async ({ actor }) => solPort(await service.openSol(target, { actor })),
  };
}

function solPort(sol: SolConnection): SerialPort {
  return {
    onData: (l) => void sol.onData(l),
    onDrain: (l) => void sol.onDrain(l),
    onClose: (l) => void sol.onClose((r) => l(solEnd(r))),
    write: (bytes) => sol.write(bytes),
    sendBreak: () => {
      sol.sendBreak();
      return true;
    },
    close: () => sol.close(),
  };
}

function solEnd(r: SolCloseReason): SerialPortEnd {
  switch (r.type) {
    case 'closed':
      return { type: 'closed' };
    case 'bmc-deactivated':
      return { type: 'lost', why: 'the BMC deactivated SOL (another session may have taken it over)' };
    case 'session-lost':
      return { type: 'lost', why: `the IPMI session was lost${r.error ? `: ${describe(r.error)}` : ''}` };
    case 'error':
      return { type: 'lost', why: `the IPMI session was lost: ${describe(r.error)}` };
  }
}
