import { createServer, type Socket } from 'node:net';
import { RGBX_PIXEL_FORMAT } from '../../protocols/rfb/constants.js';
import { encodeServerInit, ServerHandshake } from '../../protocols/rfb/server-handshake.js';

export interface ScriptedBmc {
  port: number;
  /** One per connection the gateway made, newest last: the test writes the BMC's further messages here. */
  sockets: Socket[];
  close(): void;
}

/**
 * An RFB "BMC" of the test's own: a correct RFB 3.8 handshake (security None), ServerInit of
 * `width` x `height` in our RGBX format, then `first` (its first FramebufferUpdate). After that it
 * sends only what the test writes to `sockets`, when the test writes it, and ignores what the
 * gateway sends (SetPixelFormat, SetEncodings, update requests).
 */
export async function startScriptedBmc(o: { width: number; height: number; name: string; first: Buffer }): Promise<ScriptedBmc> {
  const sockets: Socket[] = [];
  const server = createServer((sock) => {
    const hs = new ServerHandshake();
    sock.write(hs.start());
    sock.on('error', () => {});
    let done = false;
    sock.on('data', (d) => {
      if (done) return;
      const r = hs.receive(d);
      for (const out of r.send) sock.write(out);
      if (!r.done) return;
      done = true;
      sock.write(encodeServerInit({ width: o.width, height: o.height, pixelFormat: RGBX_PIXEL_FORMAT, name: o.name }));
      sock.write(o.first);
      sockets.push(sock);
    });
  }).listen(0, '127.0.0.1');
  await new Promise((r) => (server.listening ? r(null) : server.once('listening', r)));
  return { port: (server.address() as { port: number }).port, sockets, close: () => void server.close() };
}
