import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config/types.js';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import type { PowerService } from '../power/power-service.js';
import type { ServersAnswer } from './api-types.js';
import type { ApiAudit } from './api-audit.js';
import type { Principal } from './auth.js';
import {
  bootFields,
  eqBootDevice,
  jsonBody,
  onlyFields,
  outcomeFields,
  parseBootDevice,
  parseMediaCmd,
  parsePowerCmd,
  redfishExtras,
  restBootDevice,
  statusFields,
  viaEq,
  type PowerCmd,
} from './power-requests.js';
import { bearer, pinHeader } from './rest-v1.js';
import { serverSummary } from './server-summary.js';

/**
 * Power, boot device and virtual media (issues 5 and 13), whichever protocol the server's `power:`
 * picks: eq.php `ipmi_power`, `ipmi_bootdev`, `media`; REST `GET/POST /api/v1/servers/:id/power`,
 * `POST …/bootdev`, `GET/POST …/media`; `GET /api/v1/servers` (the servers a token may use, for the
 * dashboard). Every action writes one audit line (ApiAudit), refused ones included.
 */
export async function powerRoutes(app: FastifyInstance, ctx: GatewayContext, o: { power: PowerService; audit: ApiAudit }): Promise<void> {
  const { power, audit } = o;

  /** The server, checked: known and allowed for this principal. */
  const serverFor = (p: Principal, serverId: string): ServerConfig => {
    const server = ctx.registry.server(serverId);
    if (!p.mayOpen(server.id)) throw new GatewayError('GW_ERR_FORBIDDEN_SERVER', `this token may not use server "${server.id}"`);
    return server;
  };

  const runPower = (p: Principal, id: string, cmd: PowerCmd, f: Parameters<typeof eqBootDevice>[0]) => {
    const bootDevice = eqBootDevice(f);
    if (cmd === 'status' && bootDevice) throw new GatewayError('GW_ERR_BAD_REQUEST', 'a boot device goes with a power action, not with status');
    const action = `power.${cmd}${bootDevice ? `+bootdev.${bootDevice.device}${bootDevice.persistent ? '.persistent' : ''}` : ''}`;
    return audit.run(p, id, action, async (add) => {
      const control = power.forServer(serverFor(p, id));
      add({ protocol: control.protocol });
      if (cmd === 'status') return statusFields(await control.status());
      const outcome = await control.power(cmd, { bootDevice, actor: p.name });
      if (outcome.performed) add({ performed: outcome.performed, ...(outcome.note ? { note: outcome.note } : {}) });
      return outcomeFields(outcome);
    });
  };

  ctx.eqActions.set('ipmi_power', async (p, f) => {
    const id = f.require('id');
    const cmd = parsePowerCmd(f.require('cmd'), 'cmd', true);
    const res = await runPower(p, id, cmd, f);
    return { context: { action: 'ipmi_power', id, cmd }, ...res };
  });

  ctx.eqActions.set('ipmi_bootdev', async (p, f) => {
    const id = f.require('id');
    const req = { device: parseBootDevice(f.require('dev'), 'dev'), persistent: f.flag('persistent') };
    const res = await audit.run(p, id, `bootdev.${req.device}${req.persistent ? '.persistent' : ''}`, async (add) => {
      const control = power.forServer(serverFor(p, id));
      add({ protocol: control.protocol });
      return outcomeFields(await control.setBootDevice(req, p.name));
    });
    return { context: { action: 'ipmi_bootdev', id, dev: req.device, persistent: req.persistent }, ...res };
  });

  ctx.eqActions.set('media', async (p, f) => {
    const id = f.require('id');
    const cmd = parseMediaCmd(f.require('cmd'), 'cmd');
    const url = cmd === 'insert' ? f.require('url') : undefined;
    if (cmd !== 'insert' && f.get('url')) throw new GatewayError('GW_ERR_BAD_REQUEST', '"url" goes with cmd=insert only');
    const res = await audit.run(p, id, `media.${cmd}`, async (add) => {
      const target = power.redfishOf(serverFor(p, id));
      add({ protocol: 'redfish' });
      if (cmd === 'status') return { media: await power.redfish.mediaStatus(target) };
      const done = url !== undefined ? await power.redfish.insertMedia(target, url, ctx.config.media, p.name) : await power.redfish.ejectMedia(target, p.name);
      if (done.media.image) add({ image: done.media.image });
      return { media: done.media, ...(done.note ? { note: done.note } : {}) };
    });
    return { context: { action: 'media', id, cmd }, ...res };
  });

  const principalOf = (req: FastifyRequest): Principal => ctx.auth.authenticate(bearer(req), pinHeader(req), req.ip);

  app.get('/api/v1/servers', async (req) => {
    const p = principalOf(req);
    return { servers: ctx.config.servers.filter((s) => p.mayOpen(s.id)).map((s) => serverSummary(s, ctx.config)) } satisfies ServersAnswer;
  });

  app.get<{ Params: { id: string } }>('/api/v1/servers/:id/power', async (req) => {
    const res = await viaEq(ctx, req, principalOf(req), 'ipmi_power', { id: req.params.id, cmd: 'status' });
    return { serverId: req.params.id, power: res.power, ...redfishExtras(res) };
  });

  app.post<{ Params: { id: string } }>('/api/v1/servers/:id/power', async (req) => {
    const p = principalOf(req);
    const b = jsonBody(req);
    onlyFields(b, ['action', 'bootDevice']);
    const action = parsePowerCmd(b.action, 'action', false);
    const bootDevice = restBootDevice(b.bootDevice, 'bootDevice');
    const res = await viaEq(ctx, req, p, 'ipmi_power', { id: req.params.id, cmd: action, ...bootFields(bootDevice) });
    return { serverId: req.params.id, action, bootDevice: bootDevice ?? null, result: 'ok', ...redfishExtras(res) };
  });

  app.post<{ Params: { id: string } }>('/api/v1/servers/:id/bootdev', async (req) => {
    const p = principalOf(req);
    const bootDevice = restBootDevice(jsonBody(req), 'body')!;
    const res = await viaEq(ctx, req, p, 'ipmi_bootdev', { id: req.params.id, ...bootFields(bootDevice) });
    return { serverId: req.params.id, bootDevice, result: 'ok', ...redfishExtras(res) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/servers/:id/media', async (req) => {
    const res = await viaEq(ctx, req, principalOf(req), 'media', { id: req.params.id, cmd: 'status' });
    return { serverId: req.params.id, media: res.media };
  });

  app.post<{ Params: { id: string } }>('/api/v1/servers/:id/media', async (req) => {
    const p = principalOf(req);
    const b = jsonBody(req);
    onlyFields(b, ['action', 'url']);
    if (b.action !== 'insert' && b.action !== 'eject') throw new GatewayError('GW_ERR_BAD_REQUEST', '"action" must be insert or eject');
    if (b.action === 'insert' && (typeof b.url !== 'string' || b.url === ''))
      throw new GatewayError('GW_ERR_BAD_REQUEST', '"url" (string) is required to insert');
    if (b.action === 'eject' && b.url !== undefined) throw new GatewayError('GW_ERR_BAD_REQUEST', '"url" goes with insert only');
    const res = await viaEq(ctx, req, p, 'media', { id: req.params.id, cmd: b.action, ...(b.action === 'insert' ? { url: b.url as string } : {}) });
    return { serverId: req.params.id, action: b.action, media: res.media, result: 'ok', ...(res.note ? { note: res.note } : {}) };
  });
}
