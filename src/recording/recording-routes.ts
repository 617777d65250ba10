import { createReadStream, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearer, pinHeader } from '../api/rest-v1.js';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import type { Session } from '../session/session.js';
import { RECORDING_ID, Recorder } from './recorder.js';
import { recordsServer, type RecordingConfig } from './recording-config.js';
import { replayRoutes } from './replay-routes.js';

export interface RecordingInfo {
  id: string;
  serverId: string;
  startedAt: string;
  bytes: number;
  inputBytes: number;
  /** Still being written by a live session. */
  live: boolean;
}

/**
 * Session recording (issue 6): a Recorder per session of a recorded server, attached as a passive
 * viewer when the session is created; the listing `GET /api/v1/recordings`, the files themselves,
 * and the replay page. All routes need an operator token.
 */
export async function recordingRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  const cfg = ctx.config.recording;
  if (!cfg) return;
  mkdirSync(cfg.dir, { recursive: true, mode: 0o700 });
  const live = new Map<string, Recorder>();

  ctx.registry.observe({
    created: (session) => {
      if (!recordsServer(cfg, session.server.id)) return;
      startRecorder(ctx, cfg, session, live);
    },
    hooks: {
      input: (session, viewer, ev) => live.get(session.id)?.input(viewer, ev),
      ended: (session) => {
        live.delete(session.id);
      },
    },
  });
  ctx.onClose.push(async () => {
    await Promise.all([...live.values()].map((r) => r.stop('gateway shutdown')));
  });

  const operator = (req: FastifyRequest): void => {
    const p = ctx.auth.authenticate(bearer(req), pinHeader(req));
    if (p.kind !== 'operator') throw new GatewayError('GW_ERR_OPERATOR_ONLY', 'recordings are for operator tokens only');
  };

  app.get('/api/v1/recordings', async (req) => {
    operator(req);
    const liveIds = new Set([...live.values()].map((r) => r.id));
    return { recordings: listRecordings(cfg.dir, liveIds) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/recordings/:id/input.jsonl', async (req, reply) => {
    operator(req);
    const path = recordingPath(cfg, req.params.id, '.input.jsonl');
    reply.header('cache-control', 'no-store').type('application/x-ndjson');
    return reply.send(createReadStream(path));
  });

  app.get<{ Params: { id: string } }>('/api/v1/recordings/:id/fbs', async (req, reply) => {
    operator(req);
    const path = recordingPath(cfg, req.params.id, '.fbs');
    reply.header('cache-control', 'no-store').header('content-disposition', `attachment; filename="${req.params.id}.fbs"`).type('application/octet-stream');
    return reply.send(createReadStream(path));
  });

  await replayRoutes(app, ctx, cfg, operator);
}

function startRecorder(ctx: GatewayContext, cfg: RecordingConfig, session: Session, live: Map<string, Recorder>): void {
  let rec: Recorder;
  try {
    rec = new Recorder({ session, dir: cfg.dir, log: ctx.log });
  } catch (err) {
    // Could not even create the files (permissions, disk full): the session goes on unrecorded.
    ctx.log.error({ event: 'recording-failed', session: session.id, err: (err as Error).message }, 'could not start a recording; the session goes on');
    return;
  }
  live.set(session.id, rec);
  session.attach(rec, { passive: true });
}

/** The file of a recording, checked to exist; the id is validated so it cannot name another path. */
export function recordingPath(cfg: RecordingConfig, id: string, ext: '.fbs' | '.input.jsonl'): string {
  if (!RECORDING_ID.test(id)) throw new GatewayError('GW_ERR_UNKNOWN_RECORDING', `no recording "${id}"`);
  const path = join(cfg.dir, `${id}${ext}`);
  try {
    statSync(path);
  } catch {
    throw new GatewayError('GW_ERR_UNKNOWN_RECORDING', `no recording "${id}"`);
  }
  return path;
}

/** Every recording in `dir`, newest first. */
export function listRecordings(dir: string, liveIds: ReadonlySet<string> = new Set()): RecordingInfo[] {
  const out: RecordingInfo[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.fbs')) continue;
    const id = name.slice(0, -4);
    if (!RECORDING_ID.test(id)) continue;
    const [, serverId, stamp] = /^(.*)_(\d{8}T\d{6}Z)_[0-9a-f]{8}$/.exec(id)!;
    let inputBytes = 0;
    try {
      inputBytes = statSync(join(dir, `${id}.input.jsonl`)).size;
    } catch {
      // no input file: nobody typed, or it was removed
    }
    const startedAt = `${stamp!.slice(0, 4)}-${stamp!.slice(4, 6)}-${stamp!.slice(6, 8)}T${stamp!.slice(9, 11)}:${stamp!.slice(11, 13)}:${stamp!.slice(13, 15)}Z`;
    out.push({ id, serverId: serverId!, startedAt, bytes: statSync(join(dir, name)).size, inputBytes, live: liveIds.has(id) });
  }
  return out.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}
