import type { FastifyRequest } from 'fastify';
import type { EqFields, GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import { BOOT_DEVICES, POWER_COMMANDS, type BootDeviceChoice, type PowerCommand } from '../ipmi/chassis-commands.js';
import type { BootDeviceRequest, PowerOutcome, PowerStatusOutcome } from '../power/power-service.js';
import type { Principal } from './auth.js';
import { eqFields } from './eq-php.js';
import { requestIdHeader } from './rest-v1.js';

/** Request parsing and answer shaping shared by eq.php and REST for power, boot device and media. */

export type PowerCmd = 'status' | PowerCommand;
export const POWER_CMDS: readonly PowerCmd[] = Object.freeze(['status', ...POWER_COMMANDS]);
export const MEDIA_CMDS = Object.freeze(['status', 'insert', 'eject'] as const);
export type MediaCmd = (typeof MEDIA_CMDS)[number];

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

export function parseMediaCmd(value: unknown, field: string): MediaCmd {
  if (typeof value !== 'string' || !(MEDIA_CMDS as readonly string[]).includes(value)) {
    throw new GatewayError('GW_ERR_BAD_REQUEST', `"${field}" must be one of ${MEDIA_CMDS.join(', ')}`);
  }
  return value as MediaCmd;
}

/** eq.php's optional `dev` (+ `persistent`) beside a power command. */
export function eqBootDevice(f: EqFields): BootDeviceRequest | undefined {
  const dev = f.get('dev');
  if (dev === undefined || dev === '') {
    if (f.flag('persistent')) throw new GatewayError('GW_ERR_BAD_REQUEST', '"persistent" needs "dev"');
    return undefined;
  }
  return { device: parseBootDevice(dev, 'dev'), persistent: f.flag('persistent') };
}

/** REST's `bootDevice: { device, persistent }`. */
export function restBootDevice(value: unknown, field: string): BootDeviceRequest | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new GatewayError('GW_ERR_BAD_REQUEST', `"${field}" must be an object { device, persistent }`);
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v))
    if (k !== 'device' && k !== 'persistent') throw new GatewayError('GW_ERR_BAD_REQUEST', `"${field}.${k}" is not a known field`);
  if (v.persistent !== undefined && typeof v.persistent !== 'boolean')
    throw new GatewayError('GW_ERR_BAD_REQUEST', `"${field}.persistent" must be true or false`);
  return { device: parseBootDevice(v.device, `${field}.device`), persistent: v.persistent === true };
}

export function bootFields(b: BootDeviceRequest | undefined): Record<string, string> {
  return b ? { dev: b.device, persistent: b.persistent ? '1' : '0' } : {};
}

export function jsonBody(req: FastifyRequest): Record<string, unknown> {
  const b = req.body ?? {};
  if (typeof b !== 'object' || Array.isArray(b)) throw new GatewayError('GW_ERR_BAD_REQUEST', 'the body must be a JSON object');
  return b as Record<string, unknown>;
}

export function onlyFields(b: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(b)) if (!allowed.includes(k)) throw new GatewayError('GW_ERR_BAD_REQUEST', `"${k}" is not a known field (${allowed.join(', ')})`);
}

/**
 * What a power answer adds beside the unchanged IPMI answer: for Redfish the protocol, the
 * ResetTypes sent and, when an equivalent was sent, a note saying so. IPMI answers stay as before.
 */
export function outcomeFields(o: PowerOutcome): Record<string, unknown> {
  if (o.protocol === 'ipmi') return {};
  return { protocol: o.protocol, ...(o.performed ? { performed: o.performed } : {}), ...(o.note ? { note: o.note } : {}) };
}

export function statusFields(s: PowerStatusOutcome): Record<string, unknown> {
  return { power: s.power, ...(s.protocol === 'ipmi' ? {} : { protocol: s.protocol, powerState: s.powerState }) };
}

/** The Redfish extras of an eq.php answer, for the REST answer built from it. */
export function redfishExtras(res: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['protocol', 'powerState', 'performed', 'note']) if (res[k] !== undefined) out[k] = res[k];
  return out;
}

/**
 * REST calls run as their eq.php action through ctx.dispatch: one code path, and a server of
 * another location is served by that location's agent (the front cannot reach its BMC).
 * `Idempotency-Key` / `X-Request-Id` travels as eq.php's `request_id`.
 */
export function viaEq(
  ctx: GatewayContext,
  req: FastifyRequest,
  p: Principal,
  action: string,
  fields: Record<string, string>,
): Promise<Record<string, unknown>> {
  const requestId = requestIdHeader(req);
  const body = { action, ...fields, ...(requestId ? { request_id: requestId } : {}) };
  return ctx.dispatch.eq(p, action, body, eqFields(body));
}
