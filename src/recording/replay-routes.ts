import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import { originCheck } from '../api/viewer-routes.js';
import { pageHtml } from '../api/web-assets.js';
import { playFbs, scanFbs } from './fbs-player.js';
import type { RecordingDetail } from '../api/api-types.js';
import { recordingPath, listRecordings, withServerName } from './recording-routes.js';
import type { RecordingConfig } from './recording-config.js';

/** A replay WebSocket URL is good for one connection within this time. */
const REPLAY_TICKET_TTL_MS = 30_000;
const MAX_REPLAY_TICKETS = 1000;
/** Speeds the page offers; anything else is refused. */
const SPEEDS: Record<string, number> = { '1': 1, '4': 4, max: Infinity };

/**
 * Replay in the browser. Design (docs/ARCHITECTURE.md "Recording and replay"): the recording *is*
 * an RFB 3.3 server stream, so the replay WebSocket acts as an RFB server that sends the file's
 * bytes, paced by their timestamps, to stock noVNC (which speaks 3.3 and ignores nothing we send:
 * our recordings are Tight/CopyRect/Cursor/DesktopSize in noVNC's own RGBX pixel format). What the
 * page sends (its handshake answers, SetPixelFormat, requests, input) is read and dropped.
 * Speed and seek are a new connection: `at` = replay from the start as fast as possible up to
 * that time, then continue at `speed`. The page gets a one-time WebSocket URL from
 * `POST /api/v1/recordings/:id/replay` with its operator token (a browser cannot put a bearer
 * token on a WebSocket).
 */
export async function replayRoutes(
  app: FastifyInstance,
  ctx: GatewayContext,
  cfg: RecordingConfig,
  operator: (req: FastifyRequest, action?: string, recording?: string) => void,
): Promise<void> {
  const html = pageHtml('replay');
  const tickets = new Map<string, { id: string; at: number; speed: number; expires: number }>();

  app.get('/replay/:id', async (req, reply) => {
    ctx.pages.apply(req, reply);
    reply.type('text/html; charset=utf-8');
    return html;
  });

  app.get<{ Params: { id: string } }>('/api/v1/recordings/:id', async (req): Promise<RecordingDetail> => {
    operator(req);
    const path = recordingPath(cfg, req.params.id, '.fbs');
    const info = listRecordings(cfg.dir).find((r) => r.id === req.params.id);
    const scan = await scanFbs(path);
    return { ...withServerName(ctx, info!), durationMs: scan.durationMs, blocks: scan.blocks, truncated: scan.error ? scan.error.message : null };
  });

  app.post<{ Params: { id: string } }>('/api/v1/recordings/:id/replay', async (req) => {
    operator(req, 'recording.replay', req.params.id);
    recordingPath(cfg, req.params.id, '.fbs');
    const b = (req.body ?? {}) as Record<string, unknown>;
    const at = b.at === undefined ? 0 : Number(b.at);
    if (!Number.isInteger(at) || at < 0) throw new GatewayError('GW_ERR_BAD_REQUEST', '"at" must be a whole number of milliseconds >= 0');
    // Own keys only: "speed": "constructor" must not find Object's.
    const speedKey = b.speed === undefined ? '1' : typeof b.speed === 'string' || typeof b.speed === 'number' ? String(b.speed) : '';
    const speed = Object.hasOwn(SPEEDS, speedKey) ? SPEEDS[speedKey] : undefined;
    if (speed === undefined) throw new GatewayError('GW_ERR_BAD_REQUEST', '"speed" must be 1, 4 or "max"');
    const now = Date.now();
    for (const [k, t] of tickets) if (t.expires < now) tickets.delete(k);
    if (tickets.size >= MAX_REPLAY_TICKETS) throw new GatewayError('GW_ERR_BAD_REQUEST', 'too many replay URLs waiting to be used; try again in half a minute');
    const key = randomBytes(18).toString('base64url');
    tickets.set(key, { id: req.params.id, at, speed, expires: now + REPLAY_TICKET_TTL_MS });
    return { ws: `/replay/ws/${key}` };
  });

  app.get<{ Params: { key: string } }>('/replay/ws/:key', { websocket: true, preValidation: originCheck(ctx, 'replay.viewer') }, (socket, req) => {
    const t = tickets.get(req.params.key);
    tickets.delete(req.params.key);
    if (!t || t.expires < Date.now()) {
      socket.close(4000, 'this replay URL is unknown, expired or already used');
      return;
    }
    streamReplay(socket, recordingPath(cfg, t.id, '.fbs'), t.at, t.speed, ctx);
  });
}

function streamReplay(ws: WebSocket, path: string, at: number, speed: number, ctx: GatewayContext): void {
  const ac = new AbortController();
  ws.on('message', () => undefined); // the client's handshake answers, requests and input: dropped
  ws.on('close', () => ac.abort());
  ws.on('error', () => ac.abort());
  const send = (data: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      ws.send(data, { binary: true }, (err) => (err ? reject(err) : resolve()));
    });
  playFbs({ path, speed, startAtMs: at, send, signal: ac.signal })
    .then((r) => {
      if (r.error) ctx.log.warn({ event: 'replay-truncated', err: r.error.message }, 'recording ends early');
      // Stay open: the page keeps showing the last frame until it closes or seeks.
    })
    .catch((err: Error) => {
      if (!ac.signal.aborted) ctx.log.warn({ event: 'replay-failed', err: err.message }, 'replay failed');
      ws.close(4001, 'replay failed');
    });
}
