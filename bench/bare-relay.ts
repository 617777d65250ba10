import { connect } from 'node:net';
import { WebSocketServer } from 'ws';

/**
 * The floor of the benchmark: a bare WebSocket ⇄ TCP relay in a few lines of Node (one TCP
 * connection per WebSocket, bytes copied both ways, pause on a full WebSocket buffer). It does
 * nothing a proxy could skip, so it is what any proxy costs on this machine.
 *
 *   node dist/bench/bare-relay.js LISTEN_PORT TARGET_PORT
 */
const [listenPort, targetPort] = process.argv.slice(2).map(Number);
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: listenPort!,
  perMessageDeflate: false,
  handleProtocols: (p) => (p.has('binary') ? 'binary' : false),
});
wss.on('connection', (ws) => {
  const tcp = connect(targetPort!, '127.0.0.1');
  tcp.setNoDelay(true);
  tcp.on('data', (d) => {
    ws.send(d, () => tcp.isPaused() && ws.bufferedAmount < 1 << 20 && tcp.resume());
    if (ws.bufferedAmount >= 1 << 20) tcp.pause();
  });
  ws.on('message', (d: Buffer) => tcp.write(d));
  tcp.on('close', () => ws.close());
  tcp.on('error', () => ws.terminate());
  ws.on('close', () => tcp.destroy());
  ws.on('error', () => tcp.destroy());
});
wss.on('listening', () => process.stdout.write('listening\n'));
