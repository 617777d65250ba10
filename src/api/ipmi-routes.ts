import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config/types.js';
import type { EqFields, GatewayContext } from '../context.js';
import { GatewayError, toPublicError } from '../errors.js';
import { BOOT_DEVICES, POWER_COMMANDS, type BootDeviceChoice, type PowerCommand } from '../ipmi/chassis-commands.js';
import { ipmiTargetOf } from '../ipmi/config-target.js';
import { IpmiService } from '../ipmi/ipmi-service.js';
import type { IpmiTarget } from '../ipmi/types.js';
import type { Logger } from '../log.js';
import { TicketStore } from '../session/tickets.js';
import { SolSessionRegistry } from '../sol/sol-registry.js';
import type { Principal } from './auth.js';
import { eqFields } from './eq-php.js';
import { bearer, pinHeader, requestIdHeader } from './rest-v1.js';
import { solRoutes } from './sol-routes.js';

export type PowerCmd = 'status' | PowerCommand;
export const POWER_CMDS: readonly PowerCmd[] = Object.freeze(['status', ...POWER_COMMANDS]);

export interface BootDeviceRequest {
  readonly device: BootDeviceChoice;
  readonly persistent: boolean;
}

/**
 * The one path every API flavour takes for IPMI (eq.php, REST): authorise like a console
 * (`principal.mayOpen`), find the server's `ipmi`, run the action on the gateway's one IpmiService,
 * and write one audit line (event "audit": who, server, action, result — never a secret).
 */
export class IpmiApi {
  readonly service: IpmiService;
  readonly #ctx: GatewayContext;
  readonly #audit: Logger;

  constructor(ctx: GatewayContext, service: IpmiService) {
    this.#ctx = ctx;
    this.service = service;
    this.#audit = ctx.log.child({ component: 'audit' });
  }

  /** The server, checked: known, allowed for this principal, with an `ipmi` block. */
  server(p: Principal, serverId: string): ServerConfig & { ipmi: NonNullable<ServerConfig['ipmi']> } {
    const server = this.#allowed(p, serverId);
    if (!server.ipmi) throw new GatewayError('GW_ERR_NO_IPMI', `server "${server.id}" has no ipmi configured`);
    return server as ServerConfig & { ipmi: NonNullable<ServerConfig['ipmi']> };
  }

  power(p: Principal, serverId: string, cmd: PowerCmd, bootDevice?: BootDeviceRequest): Promise<{ power?: 'on' | 'off' }> {
    const action = `power.${cmd}${bootDevice ? `+bootdev.${bootDevice.device}${bootDevice.persistent ? '.persistent' : ''}` : ''}`;
    return this.audited(p, serverId, action, async (target) => {
      if (cmd === 'status') {
        if (bootDevice) throw new GatewayError('GW_ERR_BAD_REQUEST', 'a boot device goes with a power action, not with status');
        return { power: (await this.service.status(target)).power };
      }
      // Boot device first, in the same session, right before the power action (BMCs clear the flag
      // 60 s after it is set, IPMI v2.0 §28.13) — IpmiService.power does both in that order.
      await this.service.power(target, cmd, { actor: p.name, ...(bootDevice ? { bootDevice } : {}) });
      return {};
    });
  }

  bootDevice(p: Principal, serverId: string, req: BootDeviceRequest): Promise<void> {
    return this.audited(p, serverId, `bootdev.${req.device}${req.persistent ? '.persistent' : ''}`, (target) =>
      this.service.setBootDevice(target, req.device, req.persistent, p.name));
  }

  /** The server, checked: known and allowed for this principal. */
  #allowed(p: Principal, serverId: string): ServerConfig {
    const server = this.#ctx.registry.server(serverId);
    if (!p.mayOpen(server.id)) throw new GatewayError('GW_ERR_FORBIDDEN_SERVER', `this token may not use server "${server.id}"`);
    return server;
  }

  /** Runs `fn` on the server's IPMI target and writes the audit line, whatever the outcome. */
  audited<T>(p: Principal, serverId: string, action: string, fn: (target: IpmiTarget, server: ServerConfig) => Promise<T>): Promise<T> {
    return this.auditedServer(p, serverId, action, (server) => {
      if (!server.ipmi) throw new GatewayError('GW_ERR_NO_IPMI', `server "${server.id}" has no ipmi configured`);
      return fn(ipmiTargetOf(server.ipmi), server);
    });
  }

  /** Runs `fn` on a server this principal may use (IPMI or not: a serial console) and writes the audit line. */
  async auditedServer<T>(p: Principal, serverId: string, action: string, fn: (server: ServerConfig) => Promise<T>): Promise<T> {
    try {
      const result = await fn(this.#allowed(p, serverId));
      this.#audit.info({ event: 'audit', who: p.name, kind: p.kind, server: serverId, action, result: 'ok' }, `${action} on ${serverId}`);
      return result;
    } catch (err) {
      const e = toPublicError(err);
      this.#audit.warn({ event: 'audit', who: p.name, kind: p.kind, server: serverId, action, result: 'error', code: e.code, message: e.message }, `${action} on ${serverId} failed`);
      throw err;
    }
  }

  /** An audit line for things that are not one IPMI call (a SOL console's URL, its end). */
  note(fields: { who: string; server: string; action: string; result: string; [k: string]: unknown }): void {
    this.#audit.info({ event: 'audit', ...fields }, `${fields.action} on ${fields.server}`);
  }
}

export function parsePowerCmd(value: unknown, field: string, allowStatus: boolean): PowerCmd {
  const allowed = allowStatus ? POWER_CMDS : POWER_COMMANDS;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new GatewayError('GW_ERR_BAD_REQUEST', `"${field}" must be one of ${allowed.join(', ')}`);
  }
  return value as PowerCmd;
}

export function parseBootDevice(value: unknown, field: string): BootDeviceChoice {
  if (typeof value !== 'string' || !(BOOT_DEVICES as readonly string[]).includes(value)) {
    throw new GatewayError('GW_ERR_BAD_REQUEST', `"${field}" must be one of ${BOOT_DEVICES.join(', ')}`);
  }
  return value as BootDeviceChoice;
}

/** eq.php's optional `dev` (+ `persistent`) beside a power command. */
function eqBootDevice(f: EqFields): BootDeviceRequest | undefined {
  const dev = f.get('dev');
  if (dev === undefined || dev === '') {
    if (f.flag('persistent')) throw new GatewayError('GW_ERR_BAD_REQUEST', '"persistent" needs "dev"');
    return undefined;
  }
  return { device: parseBootDevice(dev, 'dev'), persistent: f.flag('persistent') };
}

/** REST's `bootDevice: { device, persistent }`. */
function restBootDevice(value: unknown, field: string): BootDeviceRequest | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new GatewayError('GW_ERR_BAD_REQUEST', `"${field}" must be an object { device, persistent }`);
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) if (k !== 'device' && k !== 'persistent') throw new GatewayError('GW_ERR_BAD_REQUEST', `"${field}.${k}" is not a known field`);
  if (v.persistent !== undefined && typeof v.persistent !== 'boolean') throw new GatewayError('GW_ERR_BAD_REQUEST', `"${field}.persistent" must be true or false`);
  return { device: parseBootDevice(v.device, `${field}.device`), persistent: v.persistent === true };
}

function jsonBody(req: FastifyRequest): Record<string, unknown> {
  const b = req.body ?? {};
  if (typeof b !== 'object' || Array.isArray(b)) throw new GatewayError('GW_ERR_BAD_REQUEST', 'the body must be a JSON object');
  return b as Record<string, unknown>;
}

/**
 * IPMI power, boot device and serial console (issue 5): eq.php actions `ipmi_power`, `ipmi_bootdev`,
 * `sol`; REST `GET/POST /api/v1/servers/:id/power`, `POST …/bootdev`, `POST …/sol`; the SOL page
 * and its WebSocket (sol-routes.ts). One IpmiService per gateway, closed at shutdown.
 */
export async function ipmiRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  const service = new IpmiService({ logger: ctx.log.child({ component: 'ipmi' }) });
  const api = new IpmiApi(ctx, service);
  const solTickets = new TicketStore(ctx.config.sessions.urlTtlMs);
  const sols = new SolSessionRegistry({
    config: ctx.config,
    log: ctx.log.child({ component: 'sol' }),
    closeNotifier: ctx.registry.closeNotifier,
    onEnded: (s, code, reason) => {
      solTickets.revokeSession(s.id);
      api.note({ who: 'gateway', server: s.server.id, action: 'sol.end', result: code, session: s.id, reason });
    },
  });
  ctx.onClose.push(async () => {
    sols.closeAll('the gateway is shutting down');
    solTickets.close();
    await service.close();
  });

  ctx.eqActions.set('ipmi_power', async (p, f) => {
    const id = f.require('id');
    const cmd = parsePowerCmd(f.require('cmd'), 'cmd', true);
    const res = await api.power(p, id, cmd, eqBootDevice(f));
    return { context: { action: 'ipmi_power', id, cmd }, ...res };
  });
  ctx.eqActions.set('ipmi_bootdev', async (p, f) => {
    const id = f.require('id');
    const req = { device: parseBootDevice(f.require('dev'), 'dev'), persistent: f.flag('persistent') };
    await api.bootDevice(p, id, req);
    return { context: { action: 'ipmi_bootdev', id, dev: req.device, persistent: req.persistent } };
  });

  const principalOf = (req: FastifyRequest): Principal => ctx.auth.authenticate(bearer(req), pinHeader(req));
  /**
   * REST calls run as their eq.php action through ctx.dispatch: one code path, and a server of
   * another location is served by that location's agent (the front cannot reach its BMC).
   * `Idempotency-Key` / `X-Request-Id` travels as eq.php's `request_id`.
   */
  const viaEq = (req: FastifyRequest, p: Principal, action: string, fields: Record<string, string>): Promise<Record<string, unknown>> => {
    const requestId = requestIdHeader(req);
    const body = { action, ...fields, ...(requestId ? { request_id: requestId } : {}) };
    return ctx.dispatch.eq(p, action, body, eqFields(body));
  };
  const bootFields = (b: BootDeviceRequest | undefined): Record<string, string> =>
    b ? { dev: b.device, persistent: b.persistent ? '1' : '0' } : {};

  app.get<{ Params: { id: string } }>('/api/v1/servers/:id/power', async (req) => {
    const res = await viaEq(req, principalOf(req), 'ipmi_power', { id: req.params.id, cmd: 'status' });
    return { serverId: req.params.id, power: res.power };
  });
  app.post<{ Params: { id: string } }>('/api/v1/servers/:id/power', async (req) => {
    const p = principalOf(req);
    const b = jsonBody(req);
    for (const k of Object.keys(b)) if (k !== 'action' && k !== 'bootDevice') throw new GatewayError('GW_ERR_BAD_REQUEST', `"${k}" is not a known field (action, bootDevice)`);
    const action = parsePowerCmd(b.action, 'action', false);
    const bootDevice = restBootDevice(b.bootDevice, 'bootDevice');
    await viaEq(req, p, 'ipmi_power', { id: req.params.id, cmd: action, ...bootFields(bootDevice) });
    return { serverId: req.params.id, action, bootDevice: bootDevice ?? null, result: 'ok' };
  });
  app.post<{ Params: { id: string } }>('/api/v1/servers/:id/bootdev', async (req) => {
    const p = principalOf(req);
    const b = jsonBody(req);
    const bootDevice = restBootDevice(b, 'body')!;
    await viaEq(req, p, 'ipmi_bootdev', { id: req.params.id, ...bootFields(bootDevice) });
    return { serverId: req.params.id, bootDevice, result: 'ok' };
  });
  app.post<{ Params: { id: string } }>('/api/v1/servers/:id/sol', async (req, reply) => {
    const p = principalOf(req);
    const b = jsonBody(req);
    for (const k of Object.keys(b)) if (k !== 'closeUrl') throw new GatewayError('GW_ERR_BAD_REQUEST', `"${k}" is not a known field (closeUrl)`);
    if (b.closeUrl !== undefined && typeof b.closeUrl !== 'string') throw new GatewayError('GW_ERR_BAD_REQUEST', '"closeUrl" must be a string');
    const res = await viaEq(req, p, 'sol', { id: req.params.id, ...(b.closeUrl ? { closeurl: b.closeUrl } : {}) });
    const context = res.context as { location?: string | null } | undefined;
    return reply.code(res.joined ? 200 : 201).send({ id: res.key, serverId: req.params.id, location: context?.location ?? null, type: 'sol', url: res.scope, joined: res.joined });
  });

  await solRoutes(app, ctx, { api, sols, tickets: solTickets, principalOf });
}
