import { createReadStream, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearer, pinHeader } from '../api/rest-v1.js';
import type { RecordingInfo, RecordingsAnswer } from '../api/api-types.js';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import type { Session } from '../session/session.js';
import { CUT_MARKER, LIVE_MARKER, RECORDING_ID, Recorder } from './recorder.js';
import { recordsServer, type RecordingConfig } from './recording-config.js';
import { replayRoutes } from './replay-routes.js';

/** A recording as its files tell it (the API adds the server's name: RecordingInfo). */
export type RecordingFile = Omit<RecordingInfo, 'serverName'>;

/**
 * At start, before any session: a recording whose live marker is still there was open when the
 * gateway died (SIGKILL, OOM killer, power). Its file is readable up to the crash (FBS blocks are
 * written whole and fdatasync'ed every second); it is marked cut short so the list and the replay
 * page say so.
 */
export function recoverCutShort(dir: string, ctx: Pick<GatewayContext, 'log'>): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(LIVE_MARKER)) continue;
    const id = name.slice(0, -LIVE_MARKER.length);
    if (!RECORDING_ID.test(id)) continue;
    const detectedAt = new Date().toISOString();
    try {
      writeFileSync(join(dir, `${id}${CUT_MARKER}.tmp`), JSON.stringify({ reason: 'crash', detectedAt }), { mode: 0o600 });
      renameSync(join(dir, `${id}${CUT_MARKER}.tmp`), join(dir, `${id}${CUT_MARKER}`));
      rmSync(join(dir, name), { force: true });
    } catch (err) {
      ctx.log.error({ event: 'recording-recover-failed', recording: id, err: (err as Error).message }, 'cannot mark a recording cut short');
      continue;
    }
    ctx.log.warn({ event: 'recording-cut-short', recording: id }, 'a recording was open when the gateway stopped unexpectedly; it ends there');
    found.push(id);
  }
  return found;
}

function cutShortOf(dir: string, id: string): string | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, `${id}${CUT_MARKER}`), 'utf8')) as { detectedAt?: string; reason?: string };
    if (m.reason === 'worker-crash')
      return `the gateway's worker process holding this console stopped unexpectedly (killed, crashed or hung) while recording; noticed at ${m.detectedAt ?? ''}`.trim();
    return `the gateway stopped unexpectedly (killed or crashed) while recording; noticed at its restart ${m.detectedAt ?? ''}`.trim();
  } catch {
    return null;
  }
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
  const live = attachRecorders(ctx, cfg);

  /** The operator behind the request; with `action`, one audit record (recordings show what customers typed). */
  const operator = (req: FastifyRequest, action?: string, recording?: string): void => {
    const p = ctx.auth.authenticate(bearer(req), pinHeader(req), req.ip);
    if (p.kind !== 'operator') {
      ctx.audit.record({
        action: action ?? 'recording.list',
        who: p.name,
        kind: p.kind,
        from: p.from,
        outcome: 'refused',
        code: 'GW_ERR_OPERATOR_ONLY',
        ...(recording ? { detail: { recording } } : {}),
      });
      throw new GatewayError('GW_ERR_OPERATOR_ONLY', 'recordings are for operator tokens only');
    }
    if (action) ctx.audit.record({ action, who: p.name, kind: p.kind, from: p.from, outcome: 'ok', ...(recording ? { detail: { recording } } : {}) });
  };

  app.get<{ Querystring: { serverId?: string } }>('/api/v1/recordings', async (req): Promise<RecordingsAnswer> => {
    operator(req);
    // With worker processes the recorders are theirs (src/workers/): they say which recordings are live.
    const liveIds = new Set([...live.values()].map((r) => r.id).concat(ctx.workers?.liveRecordings() ?? []));
    const serverId = req.query.serverId;
    const all = listRecordings(cfg.dir, liveIds).filter((r) => serverId === undefined || r.serverId === serverId);
    return { recordings: all.map((r) => withServerName(ctx, r)) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/recordings/:id/input.jsonl', async (req, reply) => {
    operator(req, 'recording.download', req.params.id);
    const path = recordingPath(cfg, req.params.id, '.input.jsonl');
    reply.header('cache-control', 'no-store').type('application/x-ndjson');
    return reply.send(createReadStream(path));
  });

  app.get<{ Params: { id: string } }>('/api/v1/recordings/:id/fbs', async (req, reply) => {
    operator(req, 'recording.download', req.params.id);
    const path = recordingPath(cfg, req.params.id, '.fbs');
    reply.header('cache-control', 'no-store').header('content-disposition', `attachment; filename="${req.params.id}.fbs"`).type('application/octet-stream');
    return reply.send(createReadStream(path));
  });

  await replayRoutes(app, ctx, cfg, operator);
  recoverCutShort(cfg.dir, ctx);
}

/**
 * A Recorder for every new session of a recorded server (in the process that holds the sessions:
 * the gateway's, or each worker's); `onLive` hears when a recording starts and ends.
 */
export function attachRecorders(
  ctx: Pick<GatewayContext, 'registry' | 'log' | 'onClose'>,
  cfg: RecordingConfig,
  onLive?: (id: string, live: boolean) => void,
): Map<string, Recorder> {
  const live = new Map<string, Recorder>();
  ctx.registry.observe({
    created: (session) => {
      if (!recordsServer(cfg, session.server.id)) return;
      startRecorder(ctx, cfg, session, live);
      const rec = live.get(session.id);
      if (rec) onLive?.(rec.id, true);
    },
    hooks: {
      input: (session, viewer, ev) => live.get(session.id)?.input(viewer, ev),
      ended: (session) => {
        const rec = live.get(session.id);
        live.delete(session.id);
        // The recorder stops on the session's end (recorder.ts); its live marker goes with it.
        if (rec) onLive?.(rec.id, false);
      },
    },
  });
  ctx.onClose.push(async () => {
    await Promise.all([...live.values()].map((r) => r.stop('gateway shutdown')));
  });
  return live;
}

/** Marks one recording cut short (its process died while recording), as recoverCutShort does at start. */
export function markCutShort(dir: string, id: string, reason: string): void {
  if (!RECORDING_ID.test(id)) return;
  const detectedAt = new Date().toISOString();
  writeFileSync(join(dir, `${id}${CUT_MARKER}.tmp`), JSON.stringify({ reason, detectedAt }), { mode: 0o600 });
  renameSync(join(dir, `${id}${CUT_MARKER}.tmp`), join(dir, `${id}${CUT_MARKER}`));
  rmSync(join(dir, `${id}${LIVE_MARKER}`), { force: true });
}

function startRecorder(ctx: Pick<GatewayContext, 'log'>, cfg: RecordingConfig, session: Session, live: Map<string, Recorder>): void {
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

/** A recording as the API gives it: with its server's name, for people. */
export function withServerName<T extends RecordingFile>(ctx: GatewayContext, r: T): T & { serverName: string | null } {
  return { ...r, serverName: ctx.config.servers.find((s) => s.id === r.serverId)?.name ?? null };
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
export function listRecordings(dir: string, liveIds: ReadonlySet<string> = new Set()): RecordingFile[] {
  const out: RecordingFile[] = [];
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
    out.push({ id, serverId: serverId!, startedAt, bytes: statSync(join(dir, name)).size, inputBytes, live: liveIds.has(id), cutShort: cutShortOf(dir, id) });
  }
  return out.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}
