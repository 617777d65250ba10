import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Logger } from '../log.js';
import { CloseCode } from '../viewer/viewer.js';
import type { SolSession, SolViewerPort } from './sol-session.js';

/** A viewer that lets this much output pile up unsent is too slow for the console: it is dropped. */
const MAX_BUFFERED = 4 * 1024 * 1024;

/**
 * One browser tab of a serial console, over a WebSocket (`/sol-ws/:key`): binary frames carry the
 * serial bytes both ways, unchanged; text frames carry JSON control messages — from the page
 * `{"type":"break"}` (serial BREAK), to the page `{"type":"state","state":…}`. The session's end
 * reason goes out as the close reason (code 4000, like the KVM viewer). Pings every
 * `sessions.pingInterval`; a viewer that missed the previous one is dropped (like the KVM viewer).
 */
export function attachSolViewer(ws: WebSocket, session: SolSession, log: Logger, pingIntervalMs: number): void {
  let closed = false;
  let alive = true;
  const port: SolViewerPort = {
    id: randomBytes(6).toString('base64url'),
    send(bytes) {
      if (closed) return;
      if (ws.bufferedAmount > MAX_BUFFERED) {
        port.close('this viewer is not keeping up with the serial console');
        return;
      }
      ws.send(bytes, { binary: true });
    },
    notify(message) {
      if (!closed) ws.send(JSON.stringify(message));
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    close(reason) {
      if (closed) return;
      closed = true;
      // RFC 6455 §5.5: a close reason is at most 123 bytes.
      ws.close(
        CloseCode.SessionEnded,
        Buffer.from(reason)
          .subarray(0, 123)
          .toString()
          .replace(/\uFFFD$/, ''),
      );
    },
  };
  const ping = setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    ws.ping();
  }, pingIntervalMs);
  ws.on('pong', () => {
    alive = true;
  });
  ws.on('message', (data, isBinary) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) {
      session.input(port, bytes);
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(bytes.toString('utf8'));
    } catch {
      msg = null;
    }
    if (msg && typeof msg === 'object' && (msg as { type?: unknown }).type === 'break') session.sendBreak(port);
    else log.debug({ event: 'sol-viewer-bad-message', server: session.server.id }, 'ignored an unknown control message');
  });
  ws.on('close', () => {
    closed = true;
    clearInterval(ping);
    session.detach(port);
  });
  ws.on('error', () => {});
  void session.attach(port);
}
