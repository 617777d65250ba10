import { GatewayError } from '../errors.js';
import { asObject, isObject, linkList, linkPath, optBoolean, optLink, optObject, optString, optStringList, protocolError, type Json } from './redfish-json.js';

/**
 * The few Redfish resources the gateway reads, as typed values. Pure: JSON in (already parsed and
 * size-bounded by redfish-http.ts), typed object out, or a GW_ERR_BMC_PROTOCOL naming the property.
 * Property names are the DMTF schemas' (ServiceRoot v1, ComputerSystem v1, Manager v1,
 * VirtualMedia v1, Task v1, ActionInfo v1).
 */

export interface ServiceRoot {
  readonly redfishVersion: string | undefined;
  readonly systems: string | undefined;
  readonly sessionService: string | undefined;
  /** `Links.Sessions`: where POST /Sessions logs in (ServiceRoot schema: required when sessions exist). */
  readonly sessions: string | undefined;
  /** Who made it: `Vendor` and `Product` (ServiceRoot v1_5+), the `Oem` keys; for `bmc-gateway probe`. */
  readonly vendor: string | undefined;
  readonly product: string | undefined;
  readonly oem: readonly string[];
  /** `Links.ManagerProvidingService` (v1_15+; bmcweb sends it, always `/redfish/v1/Managers/bmc`). */
  readonly managerProvidingService: string | undefined;
}

/**
 * The service root, which DSP0266 lets anyone read without credentials. What makes it a Redfish
 * service root: a JSON object with `RedfishVersion`, or an `@odata.type` of `#ServiceRoot.…`.
 * Anything else (an HTML login page, another product's JSON) is GW_ERR_NOT_REDFISH.
 */
export function parseServiceRoot(body: unknown, where: string): ServiceRoot {
  const notRedfish = () =>
    new GatewayError(
      'GW_ERR_NOT_REDFISH',
      `${where}/redfish/v1/ is not a Redfish service root (no RedfishVersion, no #ServiceRoot type): is this BMC's Redfish service enabled, and is this its HTTPS port?`,
    );
  if (!isObject(body)) throw notRedfish();
  const type = body['@odata.type'];
  if (typeof body.RedfishVersion !== 'string' && !(typeof type === 'string' && type.startsWith('#ServiceRoot.'))) throw notRedfish();
  const what = 'ServiceRoot';
  const links = optObject(body, 'Links', what);
  return {
    redfishVersion: optString(body, 'RedfishVersion', what),
    systems: optLink(body, 'Systems', what),
    sessionService: optLink(body, 'SessionService', what),
    sessions: links ? optLink(links, 'Sessions', `${what}.Links`) : undefined,
    vendor: optString(body, 'Vendor', what),
    product: optString(body, 'Product', what),
    oem: Object.keys(optObject(body, 'Oem', what) ?? {})
      .filter((k) => !k.startsWith('@'))
      .slice(0, 16)
      .map((k) => k.slice(0, 64)),
    managerProvidingService: links ? optLink(links, 'ManagerProvidingService', `${what}.Links`) : undefined,
  };
}

/** A collection's `Members` (links). */
export function parseMembers(body: unknown, what: string): string[] {
  return linkList(asObject(body, what), 'Members', what);
}

export interface ComputerSystem {
  readonly path: string;
  readonly powerState: string | undefined;
  /** `Actions["#ComputerSystem.Reset"].target`. */
  readonly resetTarget: string | undefined;
  /** `ResetType@Redfish.AllowableValues` on the action, when the service lists them there. */
  readonly resetAllowed: readonly string[] | undefined;
  /** `@Redfish.ActionInfo` on the action: where the allowed values are listed otherwise (bmcweb does this). */
  readonly resetActionInfo: string | undefined;
  readonly boot:
    | {
        readonly enabled: string | undefined;
        readonly target: string | undefined;
        readonly targetAllowed: readonly string[] | undefined;
        readonly enabledAllowed: readonly string[] | undefined;
      }
    | undefined;
  readonly managedBy: readonly string[];
  /** `VirtualMedia` on the system (ComputerSystem v1_13+; Manager's is deprecated there). */
  readonly virtualMedia: string | undefined;
}

export function parseComputerSystem(body: unknown, path: string): ComputerSystem {
  const what = `ComputerSystem ${path}`;
  const o = asObject(body, what);
  const type = o['@odata.type'];
  if (typeof type === 'string' && !type.includes('ComputerSystem')) {
    throw new GatewayError('GW_ERR_REDFISH_NOT_FOUND', `${path} is a ${type.slice(0, 80)}, not a ComputerSystem: check the server's redfish.system`);
  }
  const actions = optObject(o, 'Actions', what);
  const reset = actions ? optObject(actions, '#ComputerSystem.Reset', `${what}.Actions`) : undefined;
  const bootObj = optObject(o, 'Boot', what);
  const links = optObject(o, 'Links', what);
  return {
    path,
    powerState: optString(o, 'PowerState', what),
    resetTarget: reset ? optPath(reset, 'target', `${what}.Actions["#ComputerSystem.Reset"]`) : undefined,
    resetAllowed: reset ? optStringList(reset, 'ResetType@Redfish.AllowableValues', `${what}.Actions["#ComputerSystem.Reset"]`) : undefined,
    resetActionInfo: reset ? optPath(reset, '@Redfish.ActionInfo', `${what}.Actions["#ComputerSystem.Reset"]`) : undefined,
    boot: bootObj && {
      enabled: optString(bootObj, 'BootSourceOverrideEnabled', `${what}.Boot`),
      target: optString(bootObj, 'BootSourceOverrideTarget', `${what}.Boot`),
      targetAllowed: optStringList(bootObj, 'BootSourceOverrideTarget@Redfish.AllowableValues', `${what}.Boot`),
      enabledAllowed: optStringList(bootObj, 'BootSourceOverrideEnabled@Redfish.AllowableValues', `${what}.Boot`),
    },
    managedBy: links ? linkList(links, 'ManagedBy', `${what}.Links`) : [],
    virtualMedia: optLink(o, 'VirtualMedia', what),
  };
}

/** `Parameters[Name=…].AllowableValues` of an ActionInfo resource. */
export function parseActionInfoAllowed(body: unknown, parameter: string, path: string): string[] | undefined {
  const what = `ActionInfo ${path}`;
  const params = asObject(body, what).Parameters;
  if (params === undefined || params === null) return undefined;
  if (!Array.isArray(params) || params.length > 64) throw protocolError(`${what}.Parameters is not a list of at most 64`);
  for (const [i, p] of params.entries()) {
    const o = asObject(p, `${what}.Parameters[${i}]`);
    if (o.Name === parameter) return optStringList(o, 'AllowableValues', `${what}.Parameters[${i}]`);
  }
  return undefined;
}

export function parseManagerVirtualMedia(body: unknown, path: string): string | undefined {
  return optLink(asObject(body, `Manager ${path}`), 'VirtualMedia', `Manager ${path}`);
}

export interface VirtualMedia {
  readonly path: string;
  readonly id: string | undefined;
  readonly mediaTypes: readonly string[];
  readonly image: string | undefined;
  readonly inserted: boolean | undefined;
  readonly writeProtected: boolean | undefined;
  readonly connectedVia: string | undefined;
  readonly insertTarget: string | undefined;
  readonly ejectTarget: string | undefined;
}

export function parseVirtualMedia(body: unknown, path: string): VirtualMedia {
  const what = `VirtualMedia ${path}`;
  const o = asObject(body, what);
  const actions = optObject(o, 'Actions', what);
  const insert = actions ? optObject(actions, '#VirtualMedia.InsertMedia', `${what}.Actions`) : undefined;
  const eject = actions ? optObject(actions, '#VirtualMedia.EjectMedia', `${what}.Actions`) : undefined;
  return {
    path,
    id: optString(o, 'Id', what),
    mediaTypes: optStringList(o, 'MediaTypes', what) ?? [],
    // Image is a URI, but firmware writes "" or a bare file name when nothing is inserted.
    image: optString(o, 'Image', what) || undefined,
    inserted: optBoolean(o, 'Inserted', what),
    writeProtected: optBoolean(o, 'WriteProtected', what),
    connectedVia: optString(o, 'ConnectedVia', what),
    insertTarget: insert ? optPath(insert, 'target', `${what}.Actions["#VirtualMedia.InsertMedia"]`) : undefined,
    ejectTarget: eject ? optPath(eject, 'target', `${what}.Actions["#VirtualMedia.EjectMedia"]`) : undefined,
  };
}

/** Task v1 `TaskState` values that end a task (the others — New, Starting, Running, … — do not). */
export const TASK_DONE_STATES = ['Completed', 'Killed', 'Exception', 'Cancelled'] as const;

export interface TaskInfo {
  readonly state: string | undefined;
  readonly status: string | undefined;
  readonly percent: number | undefined;
  readonly monitor: string | undefined;
  readonly messages: readonly { readonly id: string; readonly message: string }[];
}

/** A Task resource, or undefined when the body is not one (a task monitor may answer with anything). */
export function parseTask(body: unknown, where: string): TaskInfo | undefined {
  if (!isObject(body)) return undefined;
  const type = body['@odata.type'];
  if (!(typeof type === 'string' && type.startsWith('#Task.')) && body.TaskState === undefined) return undefined;
  const what = `Task ${where}`;
  const pc = body.PercentComplete;
  return {
    state: optString(body, 'TaskState', what),
    status: optString(body, 'TaskStatus', what),
    percent: typeof pc === 'number' && pc >= 0 && pc <= 100 ? pc : undefined,
    monitor: optPath(body, 'TaskMonitor', what),
    messages: parseMessages(body.Messages, `${what}.Messages`),
  };
}

/** Message v1 entries (`@Message.ExtendedInfo`, a Task's `Messages`): MessageId and Message, bounded. */
export function parseMessages(v: unknown, _what: string): { id: string; message: string }[] {
  if (!Array.isArray(v)) return [];
  const out: { id: string; message: string }[] = [];
  for (const m of v.slice(0, 16)) {
    if (!isObject(m)) continue;
    const id = typeof m.MessageId === 'string' ? m.MessageId.slice(0, 200) : '';
    const message = typeof m.Message === 'string' ? m.Message : '';
    if (id || message) out.push({ id, message });
  }
  return out;
}

function optPath(o: Json, key: string, what: string): string | undefined {
  const v = optString(o, key, what);
  if (v === undefined) return undefined;
  return linkPath({ '@odata.id': v }, `${what}.${key}`);
}
