/**
 * A Redfish service of ours for the tests (no Redfish service is packaged for this machine), written
 * from the DMTF schemas and DSP0266 (model.ts, messages.ts) and checked against the reference clients
 * Debian ships — redfishtool, python3-sushy, fence_redfish (test/integration/redfish/reference-clients.test.ts)
 * — before the gateway is tested against it. HTTPS with a self-signed certificate on 127.0.0.1.
 *
 * What it does: sessions (POST …/Sessions → X-Auth-Token + Location, DELETE, expiry after
 * `sessionTimeoutMs` without use), HTTP Basic, privileges (a ReadOnly user may only read),
 * `ComputerSystem.Reset` with the configured allowed ResetTypes (published inline, through an
 * ActionInfo, or not at all), the boot override PATCH with ETag / If-Match (412 on a stale ETag),
 * `VirtualMedia.InsertMedia`/`EjectMedia` on the manager's CD, 202 + task monitor for the actions
 * in `asyncActions`, and error bodies with `@Message.ExtendedInfo`. Per test: which ResetTypes,
 * no SessionService, not Redfish at all, and a hook to answer any request with anything.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { selfSignedCertificate } from '../aten/self-signed.js';
import { errorBody, message } from './messages.js';
import { handleAction, handlePatchSystem, type ActionContext } from './simulator-actions.js';
import {
  ALL_RESET_TYPES,
  collection,
  computerSystem,
  DEFAULT_BOOT_TARGETS,
  manager,
  paths,
  resetActionInfo,
  serviceRoot,
  session,
  sessionService,
  systemEtag,
  task,
  taskService,
  virtualMediaCd,
  virtualMediaUsb,
  type PublishOptions,
  type SimIds,
  type SimState,
  type SimTask,
} from './model.js';

export type SimAction = 'Reset' | 'InsertMedia' | 'EjectMedia' | 'PatchBoot';

export interface RedfishSimulatorOptions {
  users?: readonly { name: string; password: string; role?: 'Administrator' | 'ReadOnly' }[];
  systemId?: string;
  managerId?: string;
  /** ResetTypes the system accepts (default: every Resource v1 ResetType). */
  resetTypes?: readonly string[];
  resetTypesVia?: PublishOptions['resetTypesVia'];
  bootTargets?: readonly string[];
  /** false: no SessionService, no Links.Sessions; only HTTP Basic works. */
  sessionService?: boolean;
  /** A session unused this long is gone (its token answers 401). */
  sessionTimeoutMs?: number;
  /** Actions answered 202 + task monitor, finished after `taskMs` (default: InsertMedia only). */
  asyncActions?: readonly SimAction[];
  taskMs?: number;
  /** `monitor`: Location is the task monitor (DSP0266); `task`: Location is the Task resource (200 + TaskState). */
  taskStyle?: 'monitor' | 'task';
  /** How long PoweringOn / PoweringOff last (0 = power changes at once). */
  powerTransitionMs?: number;
  /** PATCH without If-Match is refused with 428. */
  requireIfMatch?: boolean;
  /** Image hosts the "BMC" cannot reach (InsertMedia fails with CouldNotEstablishConnection). */
  unreachableImageHosts?: readonly string[];
  /** Serve an HTML page for every path: a web server that is not Redfish. */
  notRedfish?: boolean;
  /** InsertMedia refuses Inserted and WriteProtected as unknown parameters (what sushy says Supermicro X11/X12 do). */
  insertFlagsUnknown?: boolean;
}

export interface SimRequest {
  method: string;
  path: string;
  auth: 'token' | 'basic' | 'none' | 'bad';
  ifMatch: string | undefined;
  body: unknown;
}

/** Answer a request with anything (faults): return undefined to let the simulator answer. */
export type SimHook = (req: SimRequest) => { status: number; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } | undefined;

interface SimSession {
  id: string;
  token: string;
  user: string;
  role: 'Administrator' | 'ReadOnly';
  lastUsed: number;
}

interface SimTaskEntry {
  task: SimTask;
  final: { status: number; body?: unknown } | undefined;
}

export const SIM_ADMIN = { name: 'root', password: 'redfish-sim-pw-1' } as const;
export const SIM_READONLY = { name: 'viewer', password: 'redfish-sim-pw-2' } as const;

export class RedfishSimulator {
  readonly state: SimState = {
    powerState: 'Off',
    boot: { enabled: 'Disabled', target: 'None' },
    media: { image: null, inserted: false, writeProtected: true, protocol: null },
    systemVersion: 1,
    mediaVersion: 1,
  };
  readonly requests: SimRequest[] = [];
  /** Every ResetType carried out, in order. */
  readonly resets: string[] = [];
  /** Every boot override set (`<Enabled> <Target>`), in order. */
  readonly bootChanges: string[] = [];
  /** Every InsertMedia image and `eject`, in order. */
  readonly mediaChanges: string[] = [];
  /** Every X-Auth-Token handed out (tests check none reaches a log). */
  readonly issuedTokens: string[] = [];
  hook: SimHook | undefined;
  readonly ids: SimIds;
  readonly #o: Required<Omit<RedfishSimulatorOptions, 'systemId' | 'managerId'>>;
  readonly #sessions = new Map<string, SimSession>();
  readonly #tasks = new Map<string, SimTaskEntry>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #server: Server | undefined;
  #nextSession = 1;
  #nextTask = 1;

  constructor(o: RedfishSimulatorOptions = {}) {
    this.ids = { system: o.systemId ?? 'System.Embedded.1', manager: o.managerId ?? 'BMC' };
    this.#o = {
      users: o.users ?? [
        { ...SIM_ADMIN, role: 'Administrator' },
        { ...SIM_READONLY, role: 'ReadOnly' },
      ],
      resetTypes: o.resetTypes ?? ALL_RESET_TYPES,
      resetTypesVia: o.resetTypesVia ?? 'inline',
      bootTargets: o.bootTargets ?? DEFAULT_BOOT_TARGETS,
      sessionService: o.sessionService ?? true,
      sessionTimeoutMs: o.sessionTimeoutMs ?? 30 * 60_000,
      asyncActions: o.asyncActions ?? ['InsertMedia'],
      taskMs: o.taskMs ?? 300,
      taskStyle: o.taskStyle ?? 'monitor',
      powerTransitionMs: o.powerTransitionMs ?? 0,
      requireIfMatch: o.requireIfMatch ?? false,
      unreachableImageHosts: o.unreachableImageHosts ?? [],
      notRedfish: o.notRedfish ?? false,
      insertFlagsUnknown: o.insertFlagsUnknown ?? false,
    };
  }

  static async start(o: RedfishSimulatorOptions = {}): Promise<RedfishSimulator> {
    const sim = new RedfishSimulator(o);
    await sim.listen();
    return sim;
  }

  get port(): number {
    return (this.#server!.address() as AddressInfo).port;
  }

  get paths(): ReturnType<typeof paths> {
    return paths(this.ids);
  }

  /** Live sessions (user names), for checks that the gateway logged out. */
  get sessions(): string[] {
    this.#expireSessions();
    return [...this.#sessions.values()].map((s) => s.user);
  }

  /** Ends every session at once, as a BMC restart or a SessionTimeout would. */
  expireAllSessions(): void {
    this.#sessions.clear();
  }

  /** Changes the system behind the client's back (its ETag moves on). */
  touchSystem(): void {
    this.state.systemVersion++;
  }

  async listen(): Promise<void> {
    const { key, cert } = selfSignedCertificate({ commonName: 'Redfish simulator' });
    this.#server = createServer({ key, cert }, (req, res) => void this.#handle(req, res));
    this.#server.on('tlsClientError', () => {});
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject);
      this.#server!.listen(0, '127.0.0.1', () => resolve());
    });
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    if (!this.#server) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }

  /** Runs `fn` after `ms` (0 = now), cleared at stop. */
  later(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  get options(): Readonly<Required<Omit<RedfishSimulatorOptions, 'systemId' | 'managerId'>>> {
    return this.#o;
  }

  /** Starts a task for an action accepted asynchronously; `run` gives the operation's final answer. */
  startTask(res: ServerResponse, run: () => { status: number; body?: unknown }): void {
    const id = String(this.#nextTask++);
    const entry: SimTaskEntry = {
      task: { id, state: 'Running', percent: 0, started: new Date().toISOString(), ended: undefined, messages: [] },
      final: undefined,
    };
    this.#tasks.set(id, entry);
    this.later(this.#o.taskMs, () => {
      entry.final = run();
      const ok = entry.final.status < 300;
      entry.task.state = ok ? 'Completed' : 'Exception';
      entry.task.percent = 100;
      entry.task.ended = new Date().toISOString();
      entry.task.messages = ok ? [message('Success')] : extendedInfo(entry.final.body);
    });
    const taskPath = `${this.paths.tasks}/${id}`;
    const location = this.#o.taskStyle === 'monitor' ? `${taskPath}/Monitor` : taskPath;
    send(res, 202, task(this.ids, entry.task), { location, 'retry-after': '0' });
  }

  #publish(): PublishOptions {
    return {
      resetTypes: this.#o.resetTypes,
      resetTypesVia: this.#o.resetTypesVia,
      bootTargets: this.#o.bootTargets,
      sessionService: this.#o.sessionService,
      sessionTimeoutS: Math.max(30, Math.round(this.#o.sessionTimeoutMs / 1000)),
    };
  }

  #expireSessions(): void {
    const now = Date.now();
    for (const [token, s] of this.#sessions) if (now - s.lastUsed > this.#o.sessionTimeoutMs) this.#sessions.delete(token);
  }

  #authenticate(req: IncomingMessage): { kind: SimRequest['auth']; user?: { name: string; role: 'Administrator' | 'ReadOnly' }; session?: SimSession } {
    this.#expireSessions();
    const token = req.headers['x-auth-token'];
    if (typeof token === 'string') {
      const s = this.#sessions.get(token);
      if (!s) return { kind: 'bad' };
      s.lastUsed = Date.now();
      return { kind: 'token', user: { name: s.user, role: s.role }, session: s };
    }
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const [name, ...rest] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      const u = this.#o.users.find((x) => x.name === name && x.password === rest.join(':'));
      return u ? { kind: 'basic', user: { name: u.name, role: u.role ?? 'Administrator' } } : { kind: 'bad' };
    }
    return { kind: 'none' };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 64 * 1024) return void send(res, 413, errorBody('GeneralError'));
      chunks.push(c as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'https://sim/');
    let path = url.pathname.replace(/\/+$/, '');
    if (path === '/redfish/v1') path = '/redfish/v1/';
    const auth = this.#authenticate(req);
    let body: unknown;
    let malformed = false;
    if (text.trim()) {
      try {
        body = JSON.parse(text);
      } catch {
        malformed = true;
      }
    }
    const logged: SimRequest = { method, path, auth: auth.kind, ifMatch: req.headers['if-match'], body };
    this.requests.push(logged);
    const hooked = this.hook?.(logged);
    if (hooked) {
      if (hooked.raw !== undefined) {
        res.writeHead(hooked.status, { 'content-type': 'application/json', ...hooked.headers }).end(hooked.raw);
      } else send(res, hooked.status, hooked.body, hooked.headers);
      return;
    }
    if (this.#o.notRedfish) {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><h1>Welcome</h1><p>Please log in.</p></body></html>');
      return;
    }
    const p = this.paths;
    const open = (method === 'GET' && (path === '/redfish' || path === p.root)) || (method === 'POST' && path === p.sessions && this.#o.sessionService);
    if (!open && !auth.user) {
      return void send(res, 401, errorBody('NoValidSession'), { 'www-authenticate': 'Basic realm="Redfish simulator"' });
    }
    if (malformed) return void send(res, 400, errorBody('MalformedJSON'));
    if (method === 'GET') return void this.#get(res, path, auth.session);
    if (method === 'POST' && path === p.sessions && this.#o.sessionService) return void this.#login(res, body);
    if (method === 'DELETE' && path.startsWith(`${p.sessions}/`) && this.#o.sessionService) return void this.#logout(res, path, auth.session);
    if (auth.user?.role === 'ReadOnly' && method !== 'GET') return void send(res, 403, errorBody('InsufficientPrivilege'));
    const ctx: ActionContext = { sim: this, res, body, ifMatch: logged.ifMatch };
    if (method === 'PATCH' && path === p.system) return void handlePatchSystem(ctx);
    if (method === 'POST' && handleAction(ctx, path)) return;
    if (this.#exists(path)) return void send(res, 405, errorBody('OperationNotAllowed'), { allow: 'GET' });
    send(res, 404, errorBody('ResourceMissingAtURI', [path]));
  }

  #exists(path: string): boolean {
    return this.#resource(path, undefined) !== undefined || Object.values(this.paths).includes(path);
  }

  #get(res: ServerResponse, path: string, s: SimSession | undefined): void {
    const monitor = /^\/redfish\/v1\/TaskService\/Tasks\/(\d+)\/Monitor$/.exec(path);
    if (monitor) {
      const entry = this.#tasks.get(monitor[1]!);
      if (!entry) return void send(res, 404, errorBody('ResourceMissingAtURI', [path]));
      if (!entry.final) return void send(res, 202, task(this.ids, entry.task), { location: path, 'retry-after': '0' });
      // DSP0266: once done, the monitor answers with the operation's own final status and body.
      return void send(res, entry.final.status, entry.final.body);
    }
    const body = this.#resource(path, s);
    if (body === undefined) return void send(res, 404, errorBody('ResourceMissingAtURI', [path]));
    const etag = path === this.paths.system ? systemEtag(this.state) : undefined;
    send(res, 200, body, etag ? { etag } : {});
  }

  #resource(path: string, s: SimSession | undefined): unknown {
    const p = this.paths;
    const pub = this.#publish();
    const st = this.state;
    switch (path) {
      case '/redfish':
        return { v1: '/redfish/v1/' };
      case p.root:
        return serviceRoot(this.ids, pub);
      case p.systems:
        return collection('ComputerSystemCollection', p.systems, 'Computer System Collection', [p.system]);
      case p.system:
        return computerSystem(this.ids, st, pub);
      case p.resetInfo:
        return pub.resetTypesVia === 'actionInfo' ? resetActionInfo(this.ids, pub) : undefined;
      case p.managers:
        return collection('ManagerCollection', p.managers, 'Manager Collection', [p.manager]);
      case p.manager:
        return manager(this.ids);
      case p.virtualMedia:
        return collection('VirtualMediaCollection', p.virtualMedia, 'Virtual Media Services', [p.usb, p.cd]);
      case p.cd:
        return virtualMediaCd(this.ids, st);
      case p.usb:
        return virtualMediaUsb(this.ids);
      case p.taskService:
        return taskService(this.ids);
      case p.tasks:
        return collection(
          'TaskCollection',
          p.tasks,
          'Task Collection',
          [...this.#tasks.keys()].map((id) => `${p.tasks}/${id}`),
        );
      case p.sessionService:
        return pub.sessionService ? sessionService(this.ids, pub) : undefined;
      case p.sessions:
        return pub.sessionService
          ? collection(
              'SessionCollection',
              p.sessions,
              'Session Collection',
              [...this.#sessions.values()].map((x) => `${p.sessions}/${x.id}`),
            )
          : undefined;
    }
    const t = /^\/redfish\/v1\/TaskService\/Tasks\/(\d+)$/.exec(path);
    if (t) {
      const entry = this.#tasks.get(t[1]!);
      return entry ? task(this.ids, entry.task) : undefined;
    }
    if (path.startsWith(`${p.sessions}/`) && pub.sessionService) {
      const found = [...this.#sessions.values()].find((x) => `${p.sessions}/${x.id}` === path);
      return found && (found === s || s === undefined || s.role === 'Administrator') ? session(this.ids, found.id, found.user) : undefined;
    }
    return undefined;
  }

  #login(res: ServerResponse, body: unknown): void {
    const b = (body ?? {}) as { UserName?: unknown; Password?: unknown };
    if (typeof b.UserName !== 'string') return void send(res, 400, errorBody('ActionParameterMissing', ['Session creation', 'UserName']));
    if (typeof b.Password !== 'string') return void send(res, 400, errorBody('ActionParameterMissing', ['Session creation', 'Password']));
    const u = this.#o.users.find((x) => x.name === b.UserName && x.password === b.Password);
    if (!u) return void send(res, 401, errorBody('ResourceAtUriUnauthorized', [this.paths.sessions, 'Invalid username or password']));
    const id = String(this.#nextSession++);
    const token = randomBytes(24).toString('hex');
    this.#sessions.set(token, { id, token, user: u.name, role: u.role ?? 'Administrator', lastUsed: Date.now() });
    this.issuedTokens.push(token);
    send(res, 201, session(this.ids, id, u.name), { 'x-auth-token': token, location: `${this.paths.sessions}/${id}` });
  }

  #logout(res: ServerResponse, path: string, s: SimSession | undefined): void {
    const target = [...this.#sessions.values()].find((x) => `${this.paths.sessions}/${x.id}` === path);
    if (!target) return void send(res, 404, errorBody('ResourceMissingAtURI', [path]));
    if (s && target !== s && s.role !== 'Administrator') return void send(res, 403, errorBody('InsufficientPrivilege'));
    this.#sessions.delete(target.token);
    send(res, 204);
  }
}

/** A JSON answer with the headers Redfish services send. */
export function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'odata-version': '4.0',
    'cache-control': 'no-cache',
    ...headers,
  });
  res.end(text);
}

function extendedInfo(body: unknown): unknown[] {
  const e = (body as { error?: { '@Message.ExtendedInfo'?: unknown[] } } | undefined)?.error;
  return e?.['@Message.ExtendedInfo'] ?? [message('GeneralError')];
}
