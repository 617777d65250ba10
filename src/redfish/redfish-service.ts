import { createHash } from 'node:crypto';
import { toPublicError } from '../errors.js';
import type { BootDeviceChoice, PowerCommand } from '../ipmi/chassis-commands.js';
import { silentLogger, type IpmiLogger } from '../ipmi/types.js';
import { guardedAudit, type BmcAuditEvent } from '../util/audit-hook.js';
import { RedfishClient } from './redfish-client.js';
import type { MediaConfig, RedfishConfig } from './redfish-config.js';
import { RedfishSession } from './redfish-session.js';
import { checkMediaUrl } from './media-url.js';
import { bootOverride, planReset } from './reset-plan.js';
import type { VirtualMedia } from './resources.js';

/** One audit record per action, the same shape as IpmiAuditEvent (one hook takes both). `detail`: what was asked and, for power, what was sent ("cycle → ForceOff, On"); image URLs without query. */
export type RedfishAuditEvent = BmcAuditEvent<'redfish.power' | 'redfish.bootdev' | 'redfish.media'>;

export type RedfishAudit = (event: RedfishAuditEvent) => void;

export interface RedfishServiceOptions {
  readonly audit?: RedfishAudit;
  readonly logger?: IpmiLogger;
  /** Log out of a BMC nobody used for this long (BMCs have few session slots). Default 60 s. */
  readonly idleCloseMs?: number;
}

export interface RedfishPowerStatus {
  readonly power: 'on' | 'off';
  /** ComputerSystem `PowerState` as the BMC said it (On, Off, PoweringOn, PoweringOff, Paused). */
  readonly powerState: string;
}

export interface RedfishPowerResult {
  /** The ResetTypes sent, in order. */
  readonly performed: readonly string[];
  /** Set when the nearest allowed equivalent was sent instead of the direct mapping. */
  readonly note: string | undefined;
}

export interface MediaState {
  readonly resource: string;
  readonly inserted: boolean;
  readonly image: string | null;
  readonly writeProtected: boolean | null;
  readonly connectedVia: string | null;
}

interface Entry {
  readonly fingerprint: string;
  readonly client: RedfishClient;
  lastUsed: number;
  busy: number;
}

/**
 * Power, boot override and virtual media over Redfish, for the API routes and the CLI: one logged-in
 * session per BMC (host:port:user) shared by concurrent callers, logged out (DELETE) after
 * `idleCloseMs` unused and at close(). Every action calls the audit hook once, whatever its outcome.
 */
export class RedfishService {
  readonly #audit: RedfishAudit;
  readonly #logger: IpmiLogger;
  readonly #entries = new Map<string, Entry>();
  readonly #idleCloseMs: number;
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(o: RedfishServiceOptions = {}) {
    this.#logger = o.logger ?? silentLogger;
    this.#audit = guardedAudit(o.audit, this.#logger, 'redfish');
    this.#idleCloseMs = o.idleCloseMs ?? 60_000;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(100, Math.floor(this.#idleCloseMs / 2)));
    this.#sweeper.unref();
  }

  /** Logged-in BMCs right now (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  async status(target: RedfishConfig): Promise<RedfishPowerStatus> {
    return this.#use(target, async (c) => {
      const sys = await c.system();
      const state = sys.powerState ?? 'unknown';
      // Resource v1 PowerState: only Off means no power; PoweringOn/PoweringOff/Paused count as on (as fence_redfish reads it).
      return { power: state === 'Off' ? 'off' : 'on', powerState: state };
    });
  }

  /** A power command, after setting the boot device when one is given (same session, right before). */
  async power(
    target: RedfishConfig,
    cmd: PowerCommand,
    o: { bootDevice?: { device: BootDeviceChoice; persistent: boolean }; actor?: string } = {},
  ): Promise<RedfishPowerResult> {
    let detail = o.bootDevice ? `${cmd} (boot ${o.bootDevice.device}${o.bootDevice.persistent ? ', persistent' : ''})` : cmd;
    return this.#audited(
      'redfish.power',
      target,
      o.actor,
      () => detail,
      () =>
        this.#use(target, async (c) => {
          let sys = await c.system();
          const plan = planReset(cmd, await c.allowedResetTypes(sys));
          detail += ` → ${plan.steps.join(', ')}`;
          if (o.bootDevice) {
            await c.patchSystem(
              bootOverride(o.bootDevice.device, o.bootDevice.persistent, { targets: sys.boot?.targetAllowed, enabled: sys.boot?.enabledAllowed }),
              `setting the boot override on ${sys.path}`,
            );
          }
          const deadline = Date.now() + target.taskTimeoutMs;
          for (const [i, step] of plan.steps.entries()) {
            if (i > 0) {
              // ForceOff then On: the BMC may refuse On while the power is still going off.
              await c.waitPowerState('Off', deadline);
              sys = await c.system();
            }
            await c.reset(sys, step);
          }
          return { performed: plan.steps, note: plan.note };
        }),
    );
  }

  async setBootDevice(target: RedfishConfig, device: BootDeviceChoice, persistent: boolean, actor?: string): Promise<void> {
    await this.#audited(
      'redfish.bootdev',
      target,
      actor,
      () => `${device}${persistent ? ' persistent' : ''}`,
      () =>
        this.#use(target, async (c) => {
          const sys = await c.system();
          await c.patchSystem(
            bootOverride(device, persistent, { targets: sys.boot?.targetAllowed, enabled: sys.boot?.enabledAllowed }),
            `setting the boot override on ${sys.path}`,
          );
        }),
    );
  }

  async mediaStatus(target: RedfishConfig): Promise<MediaState> {
    return this.#use(target, async (c) => mediaState(await c.virtualMedia()));
  }

  /**
   * Mounts an image (checked against `media.allow` first). A CD that holds another image is ejected
   * first (BMCs refuse InsertMedia on a full drive); the answer's note says so.
   */
  async insertMedia(
    target: RedfishConfig,
    rawUrl: string,
    media: MediaConfig | undefined,
    actor?: string,
  ): Promise<{ media: MediaState; note: string | undefined }> {
    let shown = 'a refused URL';
    return this.#audited(
      'redfish.media',
      target,
      actor,
      () => `insert ${shown}`,
      () =>
        this.#use(target, async (c) => {
          // Checked inside the audited part: a refused URL is an audited action too.
          const checked = checkMediaUrl(rawUrl, media);
          shown = checked.shown;
          let vm = await c.virtualMedia();
          let note: string | undefined;
          if (vm.inserted === true || vm.image) {
            note = `ejected ${shownImage(vm.image)} first`;
            await c.ejectMedia(vm);
          }
          await c.insertMedia(vm, checked.url, checked.transferProtocolType);
          vm = await c.virtualMedia();
          return { media: mediaState(vm), note };
        }),
    );
  }

  async ejectMedia(target: RedfishConfig, actor?: string): Promise<{ media: MediaState; note: string | undefined }> {
    return this.#audited(
      'redfish.media',
      target,
      actor,
      () => 'eject',
      () =>
        this.#use(target, async (c) => {
          let vm = await c.virtualMedia();
          if (vm.inserted !== true && !vm.image) return { media: mediaState(vm), note: 'nothing was inserted' };
          await c.ejectMedia(vm);
          vm = await c.virtualMedia();
          return { media: mediaState(vm), note: undefined };
        }),
    );
  }

  /** Logs out of every BMC (DELETE of each session). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    const all = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(all.map((e) => e.client.close().catch(() => undefined)));
  }

  async #use<T>(target: RedfishConfig, fn: (c: RedfishClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error('RedfishService is closed');
    const e = this.#entry(target);
    e.busy++;
    try {
      return await fn(e.client);
    } finally {
      e.busy--;
      e.lastUsed = Date.now();
    }
  }

  #entry(target: RedfishConfig): Entry {
    const key = `${target.host}:${target.port}:${target.user}`;
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([target.password, target.insecureTls, target.system ?? '', target.timeoutMs, target.taskTimeoutMs]))
      .digest('base64');
    const existing = this.#entries.get(key);
    if (existing && existing.fingerprint === fingerprint) return existing;
    if (existing) {
      this.#entries.delete(key);
      void existing.client.close().catch(() => undefined);
    }
    const session = new RedfishSession(target);
    const entry: Entry = {
      fingerprint,
      client: new RedfishClient(session, { system: target.system, taskTimeoutMs: target.taskTimeoutMs }),
      lastUsed: Date.now(),
      busy: 0,
    };
    this.#entries.set(key, entry);
    return entry;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, e] of this.#entries) {
      if (e.busy === 0 && now - e.lastUsed >= this.#idleCloseMs) {
        this.#entries.delete(key);
        this.#logger.debug({ bmc: key }, 'redfish: logging out of an idle BMC');
        void e.client.close().catch(() => undefined);
      }
    }
  }

  async #audited<T>(type: RedfishAuditEvent['type'], target: RedfishConfig, actor: string | undefined, detail: () => string, fn: () => Promise<T>): Promise<T> {
    const base = { type, actor, host: target.host, port: target.port, user: target.user };
    try {
      const result = await fn();
      this.#audit({ ...base, detail: detail(), at: new Date().toISOString(), outcome: 'ok' });
      return result;
    } catch (err) {
      const e = toPublicError(err);
      this.#audit({ ...base, detail: detail(), at: new Date().toISOString(), outcome: 'error', error: { code: e.code, message: e.message } });
      throw err;
    }
  }
}

function mediaState(vm: VirtualMedia): MediaState {
  return {
    resource: vm.path,
    inserted: vm.inserted === true,
    image: vm.image ? shownImage(vm.image) : null,
    writeProtected: vm.writeProtected ?? null,
    connectedVia: vm.connectedVia ?? null,
  };
}

/** An image URL as shown to callers: without query or fragment (a signed URL's token stays out of answers). */
function shownImage(image: string | undefined): string {
  if (!image) return 'nothing';
  try {
    const u = new URL(image);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return image.slice(0, 200);
  }
}
