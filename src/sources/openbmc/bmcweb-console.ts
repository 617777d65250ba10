import type { Logger } from '../../log.js';
import type { SerialPort, SerialPortEnd, SerialTransport } from '../../sol/serial-port.js';
import { BmcwebSession } from './bmcweb-session.js';
import { bmcwebLoginOptions, type OpenBmcConsoleConfig } from './openbmc-config.js';
import { bmcwebTransport } from './openbmc-source.js';
import type { WebSocketBytePipe } from './websocket-byte-pipe.js';

/**
 * bmcweb's host serial console route (features/serial/obmc_console.hpp): `/console0` is the default
 * obmc-console; its WebSocket carries the raw bytes of the host's serial port both ways. It has no
 * BREAK and no other control messages.
 */
export const CONSOLE_PATH = '/console0';

/** The serial console of an OpenBMC server, for the SOL page (src/sol/), over bmcweb's `/console0`. */
export function bmcwebSerialTransport(cfg: OpenBmcConsoleConfig, log: Logger): SerialTransport {
  const transport = bmcwebTransport(cfg, CONSOLE_PATH, 'the host console WebSocket', log);
  return {
    kind: 'bmcweb console0',
    // A Redfish login and logout: the BMC answers and takes the credentials.
    check: async () => {
      const session = await BmcwebSession.login(bmcwebLoginOptions(cfg));
      await session.logout();
    },
    open: () =>
      new Promise<SerialPort>((resolve, reject) => {
        const pipe = transport.open();
        pipe.once('connect', () => {
          pipe.off('error', reject);
          resolve(pipePort(pipe));
        });
        pipe.once('error', reject);
      }),
  };
}

function pipePort(pipe: WebSocketBytePipe): SerialPort {
  let lost: Error | undefined;
  let closing = false;
  pipe.on('error', (err: Error) => {
    lost = err;
  });
  // Readable from the start, like a socket: bytes the host sent before onData are buffered by the stream.
  return {
    onData: (l) => void pipe.on('data', l),
    onDrain: (l) => void pipe.on('drain', l),
    onClose: (l) =>
      void pipe.once('close', () => {
        const end: SerialPortEnd = closing ? { type: 'closed' } : { type: 'lost', why: lost?.message ?? 'the BMC closed the host console WebSocket' };
        l(end);
      }),
    // false above the stream's high-water mark (16 KiB): the session pauses its viewers until 'drain'.
    write: (bytes) => pipe.write(bytes),
    sendBreak: () => false,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        if (pipe.destroyed) {
          resolve();
          return;
        }
        pipe.once('close', () => resolve());
        pipe.destroy();
      }),
  };
}
