import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../errors.js';
import { errorMessages, messageKey, redfishError } from './redfish-errors.js';
import type { RedfishRequest, RedfishResponse } from './redfish-http.js';
import type { RedfishSession } from './redfish-session.js';
import {
  parseActionInfoAllowed,
  parseComputerSystem,
  parseManagerVirtualMedia,
  parseMembers,
  parseVirtualMedia,
  type ComputerSystem,
  type VirtualMedia,
} from './resources.js';
import { followTask } from './task-monitor.js';

/** Managers and virtual media members we look through for the CD/DVD (real BMCs have 1–4). */
const MAX_MANAGERS = 4;
const MAX_MEDIA_MEMBERS = 16;
const POWER_POLL_MS = 500;

/**
 * The Redfish resources of one server, over one RedfishSession: its ComputerSystem (the configured
 * path, or the only/first member of /redfish/v1/Systems), `ComputerSystem.Reset`, the boot override,
 * and the CD/DVD virtual media of the manager that manages it. Every answer is shape-checked
 * (resources.ts); every error answer becomes a GW code with the BMC's message (redfish-errors.ts).
 */
export class RedfishClient {
  readonly session: RedfishSession;
  readonly #systemConfigured: string | undefined;
  readonly #taskTimeoutMs: number;
  #systemPath: string | undefined;
  #mediaPath: string | undefined;

  constructor(session: RedfishSession, o: { system?: string | undefined; taskTimeoutMs: number }) {
    this.session = session;
    this.#systemConfigured = o.system;
    this.#systemPath = o.system;
    this.#taskTimeoutMs = o.taskTimeoutMs;
  }

  /** GET that must answer 200; anything else is the mapped error. */
  async get(path: string, doing: string): Promise<RedfishResponse> {
    const res = await this.session.request({ method: 'GET', path });
    if (res.status !== 200) throw redfishError(res, doing);
    if (res.body === undefined)
      throw new GatewayError('GW_ERR_BMC_PROTOCOL', `${doing}: the BMC answered 200 without a JSON body${res.notJson ? ` ("${res.notJson}")` : ''}`);
    return res;
  }

  async system(): Promise<ComputerSystem & { etag: string | undefined }> {
    const path = await this.#resolveSystem();
    const res = await this.session.request({ method: 'GET', path });
    if (res.status === 404 && this.#systemConfigured) {
      throw new GatewayError('GW_ERR_REDFISH_NOT_FOUND', `the configured redfish.system ${path} does not exist on the BMC${await this.#membersHint()}`);
    }
    if (res.status !== 200) throw redfishError(res, `reading ${path}`);
    if (res.body === undefined)
      throw new GatewayError('GW_ERR_BMC_PROTOCOL', `reading ${path}: the BMC answered 200 without a JSON body${res.notJson ? ` ("${res.notJson}")` : ''}`);
    const sys = parseComputerSystem(res.body, path);
    const odataEtag = (res.body as { '@odata.etag'?: unknown })['@odata.etag'];
    return { ...sys, etag: res.headers.etag ?? (typeof odataEtag === 'string' && odataEtag.length < 256 ? odataEtag : undefined) };
  }

  async #resolveSystem(): Promise<string> {
    if (this.#systemPath) return this.#systemPath;
    const root = await this.session.serviceRoot();
    if (!root.systems) throw new GatewayError('GW_ERR_REDFISH_NOT_FOUND', `${this.session.origin} lists no Systems collection in its service root`);
    const members = parseMembers((await this.get(root.systems, `reading ${root.systems}`)).body, root.systems);
    if (members.length === 0) throw new GatewayError('GW_ERR_REDFISH_NOT_FOUND', `${root.systems} on ${this.session.origin} has no members`);
    this.#systemPath = members[0]!;
    return this.#systemPath;
  }

  async #membersHint(): Promise<string> {
    try {
      const root = await this.session.serviceRoot();
      if (!root.systems) return '';
      const res = await this.session.request({ method: 'GET', path: root.systems });
      return res.status === 200 ? ` (its systems: ${parseMembers(res.body, root.systems).slice(0, 8).join(', ') || 'none'})` : '';
    } catch {
      return '';
    }
  }

  /** The ResetTypes the system allows: inline AllowableValues, else its ActionInfo, else undefined (not said). */
  async allowedResetTypes(sys: ComputerSystem): Promise<readonly string[] | undefined> {
    if (sys.resetAllowed) return sys.resetAllowed;
    if (!sys.resetActionInfo) return undefined;
    const res = await this.session.request({ method: 'GET', path: sys.resetActionInfo });
    if (res.status !== 200) return undefined; // an ActionInfo we cannot read says nothing; the BMC still checks
    return parseActionInfoAllowed(res.body, 'ResetType', sys.resetActionInfo);
  }

  /** POST ComputerSystem.Reset and follow its task, if the BMC makes one. */
  async reset(sys: ComputerSystem, resetType: string): Promise<void> {
    const target = sys.resetTarget ?? `${sys.path}/Actions/ComputerSystem.Reset`;
    await this.#act({ method: 'POST', path: target, body: { ResetType: resetType } }, `ComputerSystem.Reset (${resetType}) on ${sys.path}`);
  }

  /** Polls PowerState until it is `want` (for ForceOff then On). */
  async waitPowerState(want: string, deadline: number): Promise<void> {
    for (;;) {
      const sys = await this.system();
      if (sys.powerState === want) return;
      if (Date.now() + POWER_POLL_MS > deadline) {
        throw new GatewayError('GW_ERR_BMC_TIMEOUT', `PowerState of ${sys.path} is still ${sys.powerState ?? 'unknown'}, not ${want}, when the wait ended`);
      }
      await sleep(POWER_POLL_MS);
    }
  }

  /**
   * PATCH with If-Match when the resource had an ETag (DSP0266 "Modification requests"); when the
   * BMC answers 412 (it changed since we read it) the resource is read again and the PATCH sent once more.
   */
  async patchSystem(body: unknown, doing: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const sys = await this.system();
      const res = await this.session.request({ method: 'PATCH', path: sys.path, body, ...(sys.etag ? { headers: { 'if-match': sys.etag } } : {}) });
      if (res.status === 412 && attempt === 0) continue;
      await this.#finish(res, doing);
      return;
    }
  }

  /** The CD/DVD virtual media: via the system's Links.ManagedBy (Manager.VirtualMedia), else the system's own VirtualMedia. */
  async virtualMedia(): Promise<VirtualMedia> {
    if (this.#mediaPath) {
      const res = await this.session.request({ method: 'GET', path: this.#mediaPath });
      if (res.status === 200) return parseVirtualMedia(res.body, this.#mediaPath);
      this.#mediaPath = undefined;
    }
    const sys = await this.system();
    const collections: string[] = [];
    for (const m of sys.managedBy.slice(0, MAX_MANAGERS)) {
      const vm = parseManagerVirtualMedia((await this.get(m, `reading manager ${m}`)).body, m);
      if (vm) collections.push(vm);
    }
    if (sys.virtualMedia) collections.push(sys.virtualMedia);
    for (const c of collections) {
      for (const member of parseMembers((await this.get(c, `reading ${c}`)).body, c).slice(0, MAX_MEDIA_MEMBERS)) {
        const vm = parseVirtualMedia((await this.get(member, `reading ${member}`)).body, member);
        if (vm.mediaTypes.includes('CD') || vm.mediaTypes.includes('DVD')) {
          this.#mediaPath = member;
          return vm;
        }
      }
    }
    throw new GatewayError(
      'GW_ERR_NO_VIRTUAL_MEDIA',
      `no CD/DVD virtual media found for ${sys.path} (looked at ${collections.join(', ') || 'no VirtualMedia collection: the system has no Links.ManagedBy manager with one'})`,
    );
  }

  /**
   * InsertMedia with Image, Inserted, WriteProtected and TransferProtocolType. Firmware that refuses
   * Inserted/WriteProtected as unknown parameters (Supermicro X11/X12, as sushy's virtual_media.py
   * notes) gets the action once more without them: the schema's defaults for both are true.
   */
  async insertMedia(vm: VirtualMedia, image: string, transferProtocolType: string): Promise<void> {
    const target = vm.insertTarget ?? `${vm.path}/Actions/VirtualMedia.InsertMedia`;
    const doing = `VirtualMedia.InsertMedia on ${vm.path}`;
    let res = await this.session.request({
      method: 'POST',
      path: target,
      body: { Image: image, Inserted: true, WriteProtected: true, TransferProtocolType: transferProtocolType },
    });
    if (res.status === 400 && refusesInsertFlags(res)) {
      res = await this.session.request({ method: 'POST', path: target, body: { Image: image, TransferProtocolType: transferProtocolType } });
    }
    await this.#finish(res, doing);
  }

  async ejectMedia(vm: VirtualMedia): Promise<void> {
    const target = vm.ejectTarget ?? `${vm.path}/Actions/VirtualMedia.EjectMedia`;
    await this.#act({ method: 'POST', path: target, body: {} }, `VirtualMedia.EjectMedia on ${vm.path}`);
  }

  async #act(req: RedfishRequest, doing: string): Promise<void> {
    await this.#finish(await this.session.request(req), doing);
  }

  async #finish(res: RedfishResponse, doing: string): Promise<void> {
    const final = await followTask(this.session, res, doing, Date.now() + this.#taskTimeoutMs);
    if (final.status < 200 || final.status >= 300) throw redfishError(final, doing);
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

function refusesInsertFlags(res: RedfishResponse): boolean {
  return errorMessages(res.body).some(
    (m) =>
      ['ActionParameterUnknown', 'ActionParameterNotSupported', 'PropertyUnknown'].includes(messageKey(m.id)) &&
      /\b(Inserted|WriteProtected)\b/.test(m.message),
  );
}
