/**
 * The seam between a serial console in the browser (SolSession) and the BMC: one implementation per
 * protocol — IPMI Serial-over-LAN (ipmi-serial.ts) and OpenBMC's bmcweb host console WebSocket
 * (src/sources/openbmc/bmcweb-console.ts). SolSession knows nothing of either.
 */

/** How a serial port ended: closed by us, or lost (the BMC or the network ended it; `why` is for people). */
export type SerialPortEnd = { readonly type: 'closed' } | { readonly type: 'lost'; readonly why: string };

/** An open serial console on a BMC: raw bytes both ways. */
export interface SerialPort {
  onData(listener: (bytes: Buffer) => void): void;
  /** After write() returned false, once the queue towards the BMC has emptied. */
  onDrain(listener: () => void): void;
  onClose(listener: (end: SerialPortEnd) => void): void;
  /** Queues bytes for the host; false above the high-water mark (stop reading the viewers until onDrain). */
  write(bytes: Buffer): boolean;
  /** Sends a serial BREAK; false when this kind of port has none. */
  sendBreak(): boolean;
  /** Closes the port (and whatever login it holds); resolves when that is done. Fires onClose({type:'closed'}). */
  close(): Promise<void>;
}

/** How to reach one server's serial console. */
export interface SerialTransport {
  /** What it is, for people ("SOL", "bmcweb console0"): "<kind> activation failed: …". */
  readonly kind: string;
  /** Reaches the BMC and checks the credentials without opening the console (before a URL is issued). */
  check(): Promise<void>;
  open(o: { readonly actor: string }): Promise<SerialPort>;
}
