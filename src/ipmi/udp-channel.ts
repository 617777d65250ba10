import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { IpmiError } from '../../protocols/errors.js';
import { IPMI_LIMITS } from '../../protocols/limits.js';

/**
 * A connected UDP socket to one BMC: a connected socket only delivers datagrams from that address
 * and port, so a stray sender on the network cannot even reach the decoder.
 */
export class UdpChannel {
  readonly #socket: Socket;
  #handler: (datagram: Buffer) => void = () => {};
  #closed = false;
  /** The last socket error (e.g. ECONNREFUSED from an ICMP port unreachable), for timeout messages. */
  lastError: Error | null = null;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (msg) => {
      if (msg.length <= IPMI_LIMITS.maxDatagramBytes) this.#handler(msg);
    });
    socket.on('error', (err) => {
      this.lastError = err;
    });
  }

  static open(host: string, port: number): Promise<UdpChannel> {
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        socket.close();
        reject(new IpmiError('IPMI_ERR_UNREACHABLE', `cannot reach ${host}:${port}: ${err.message}`, 'host'));
      };
      socket.once('error', onError);
      socket.connect(port, host, () => {
        socket.off('error', onError);
        resolve(new UdpChannel(socket));
      });
    });
  }

  onDatagram(handler: (datagram: Buffer) => void): void {
    this.#handler = handler;
  }

  send(datagram: Buffer): void {
    if (this.#closed) return;
    this.#socket.send(datagram, (err) => {
      if (err) this.lastError = err;
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handler = () => {};
    this.#socket.close();
  }
}
