/**
 * What the Redfish simulator's actions do: ComputerSystem.Reset, the boot override PATCH (with
 * ETag / If-Match), VirtualMedia.InsertMedia / EjectMedia. Each checks its parameters as a service
 * does (DSP0266 "Actions": unknown or missing parameters, values outside AllowableValues → 400 with
 * the Base registry's message), then answers 204, or 202 + task for the actions in `asyncActions`.
 */
import type { ServerResponse } from 'node:http';
import { errorBody } from './messages.js';
import { systemEtag } from './model.js';
import { send, type RedfishSimulator } from './simulator.js';

export interface ActionContext {
  sim: RedfishSimulator;
  res: ServerResponse;
  body: unknown;
  ifMatch: string | undefined;
}

type Result = { status: number; body?: unknown };

const BOOT_ENABLED = ['Disabled', 'Once', 'Continuous'];
const TRANSFER_PROTOCOLS = ['CIFS', 'FTP', 'SFTP', 'HTTP', 'HTTPS', 'NFS', 'SCP', 'TFTP', 'OEM'];

/** POST to an action target; false when the path is not one. */
export function handleAction(ctx: ActionContext, path: string): boolean {
  const p = ctx.sim.paths;
  const actions = { [p.reset]: ['Reset', reset], [p.insert]: ['InsertMedia', insertMedia], [p.eject]: ['EjectMedia', ejectMedia] } as const;
  const found = actions[path];
  if (!found) return false;
  run(ctx, found[0], () => found[1](ctx));
  return true;
}

export function handlePatchSystem(ctx: ActionContext): void {
  const sim = ctx.sim;
  if (ctx.ifMatch !== undefined && ctx.ifMatch !== systemEtag(sim.state) && ctx.ifMatch !== '*')
    return void send(ctx.res, 412, errorBody('PreconditionFailed'));
  if (ctx.ifMatch === undefined && sim.options.requireIfMatch) return void send(ctx.res, 428, errorBody('PreconditionRequired'));
  run(ctx, 'PatchBoot', () => patchBoot(ctx));
}

/** Checks synchronously; runs the change now (204) or in a task (202) when the action is async. */
function run(ctx: ActionContext, action: 'Reset' | 'InsertMedia' | 'EjectMedia' | 'PatchBoot', fn: () => Result | (() => Result)): void {
  const checked = fn();
  if (typeof checked !== 'function') return void send(ctx.res, checked.status, checked.body);
  if (ctx.sim.options.asyncActions.includes(action)) return ctx.sim.startTask(ctx.res, checked);
  const done = checked();
  send(ctx.res, done.status, done.body);
}

function reset(ctx: ActionContext): Result | (() => Result) {
  const b = ctx.body as { ResetType?: unknown } | undefined;
  const extra = Object.keys(b ?? {}).find((k) => k !== 'ResetType');
  if (extra) return { status: 400, body: errorBody('ActionParameterUnknown', ['ComputerSystem.Reset', extra]) };
  if (b?.ResetType === undefined) return { status: 400, body: errorBody('ActionParameterMissing', ['ComputerSystem.Reset', 'ResetType']) };
  const type = String(b.ResetType);
  if (!ctx.sim.options.resetTypes.includes(type))
    return { status: 400, body: errorBody('ActionParameterValueNotInList', [type, 'ResetType', 'ComputerSystem.Reset']) };
  return () => {
    applyReset(ctx.sim, type);
    return { status: 204 };
  };
}

/** The power change of each ResetType; PoweringOn/PoweringOff last `powerTransitionMs`. */
function applyReset(sim: RedfishSimulator, type: string): void {
  sim.resets.push(type);
  const s = sim.state;
  const set = (state: typeof s.powerState) => {
    s.powerState = state;
    s.systemVersion++;
  };
  const powerOn = () => {
    set('PoweringOn');
    sim.later(sim.options.powerTransitionMs, () => {
      set('On');
      // A one-time override is used by the boot it was set for.
      if (s.boot.enabled === 'Once') s.boot = { enabled: 'Disabled', target: 'None' };
    });
  };
  switch (type) {
    case 'On':
    case 'ForceOn':
      if (s.powerState !== 'On') powerOn();
      return;
    case 'ForceOff':
      set('Off');
      return;
    case 'GracefulShutdown':
      if (s.powerState === 'Off') return;
      set('PoweringOff');
      sim.later(sim.options.powerTransitionMs, () => set('Off'));
      return;
    case 'PushPowerButton':
      if (s.powerState === 'Off') powerOn();
      else set('Off');
      return;
    default: // ForceRestart, GracefulRestart, PowerCycle, Nmi: the machine ends up running
      set('Off');
      powerOn();
  }
}

function patchBoot(ctx: ActionContext): Result | (() => Result) {
  const b = ctx.body as Record<string, unknown> | undefined;
  if (!b || typeof b !== 'object' || Object.keys(b).length === 0) return { status: 400, body: errorBody('MalformedJSON') };
  for (const k of Object.keys(b)) if (k !== 'Boot') return { status: 400, body: errorBody('PropertyNotWritable', [k]) };
  const boot = b.Boot as Record<string, unknown>;
  if (!boot || typeof boot !== 'object') return { status: 400, body: errorBody('PropertyValueTypeError', [JSON.stringify(boot), 'Boot']) };
  for (const k of Object.keys(boot)) {
    if (k !== 'BootSourceOverrideTarget' && k !== 'BootSourceOverrideEnabled' && k !== 'BootSourceOverrideMode')
      return { status: 400, body: errorBody('PropertyUnknown', [`Boot/${k}`]) };
  }
  const target = boot.BootSourceOverrideTarget;
  const enabled = boot.BootSourceOverrideEnabled;
  if (target !== undefined && !ctx.sim.options.bootTargets.includes(String(target)))
    return { status: 400, body: errorBody('PropertyValueNotInList', [String(target), 'Boot/BootSourceOverrideTarget']) };
  if (enabled !== undefined && !BOOT_ENABLED.includes(String(enabled)))
    return { status: 400, body: errorBody('PropertyValueNotInList', [String(enabled), 'Boot/BootSourceOverrideEnabled']) };
  return () => {
    const s = ctx.sim.state;
    s.boot = { enabled: (enabled as typeof s.boot.enabled | undefined) ?? s.boot.enabled, target: (target as string | undefined) ?? s.boot.target };
    s.systemVersion++;
    ctx.sim.bootChanges.push(`${s.boot.enabled} ${s.boot.target}`);
    return { status: 204 };
  };
}

function insertMedia(ctx: ActionContext): Result | (() => Result) {
  const b = (ctx.body ?? {}) as Record<string, unknown>;
  const known = ['Image', 'Inserted', 'WriteProtected', 'TransferProtocolType', 'TransferMethod', 'UserName', 'Password'];
  const unknown = ctx.sim.options.insertFlagsUnknown ? known.filter((k) => k !== 'Inserted' && k !== 'WriteProtected') : known;
  const extra = Object.keys(b).find((k) => !unknown.includes(k));
  if (extra) return { status: 400, body: errorBody('ActionParameterUnknown', ['VirtualMedia.InsertMedia', extra]) };
  if (typeof b.Image !== 'string' || b.Image === '') return { status: 400, body: errorBody('ActionParameterMissing', ['VirtualMedia.InsertMedia', 'Image']) };
  if (b.TransferProtocolType !== undefined && !TRANSFER_PROTOCOLS.includes(String(b.TransferProtocolType))) {
    return {
      status: 400,
      body: errorBody('ActionParameterValueNotInList', [String(b.TransferProtocolType), 'TransferProtocolType', 'VirtualMedia.InsertMedia']),
    };
  }
  const s = ctx.sim.state;
  if (s.media.inserted) return { status: 409, body: errorBody('ResourceInUse') };
  const image = b.Image;
  let host = '';
  try {
    host = new URL(image).hostname;
  } catch {
    return { status: 400, body: errorBody('ActionParameterValueNotInList', [image, 'Image', 'VirtualMedia.InsertMedia']) };
  }
  return () => {
    if (ctx.sim.options.unreachableImageHosts.includes(host)) return { status: 400, body: errorBody('CouldNotEstablishConnection', [image]) };
    s.media = {
      image,
      inserted: b.Inserted !== false,
      writeProtected: b.WriteProtected !== false,
      protocol: typeof b.TransferProtocolType === 'string' ? b.TransferProtocolType : null,
    };
    s.mediaVersion++;
    ctx.sim.mediaChanges.push(image);
    return { status: 204 };
  };
}

function ejectMedia(ctx: ActionContext): Result | (() => Result) {
  const b = (ctx.body ?? {}) as Record<string, unknown>;
  if (Object.keys(b).length > 0) return { status: 400, body: errorBody('ActionParameterUnknown', ['VirtualMedia.EjectMedia', Object.keys(b)[0]!]) };
  return () => {
    const s = ctx.sim.state;
    s.media = { image: null, inserted: false, writeProtected: true, protocol: null };
    s.mediaVersion++;
    ctx.sim.mediaChanges.push('eject');
    return { status: 204 };
  };
}
