import type { EqFields, GatewayContext } from '../../context.js';
import type { Dispatcher, RestCall } from '../../dispatch/types.js';
import { toPublicError } from '../../errors.js';
import type { ActivityEntry, AgentsAnswer, FleetEvent, PowerReading, SessionView, SolSessionView } from '../api-types.js';
import type { Principal } from '../auth.js';
import { eqFields } from '../eq-php.js';
import { serverSummary } from '../server-summary.js';
import { PowerPoller } from './power-poller.js';

/** How often the live lists (sessions, serial consoles, agents) are compared and sent when changed. */
const LIST_INTERVAL_MS = 2000;
/** Power: each server read again after a minute, at most 2 reads a second and 2 at once, gateway-wide. */
const POWER_REFRESH_MS = 60_000;
const POWER_READS_PER_SECOND = 2;
const POWER_CONCURRENCY = 2;
/** After a power action the state is read again twice: soon, and once a slow BMC has settled. */
const POWER_REREAD_MS = [1500, 10_000];
const ACTIVITY_MAX = 50;

/** The monitor reads as an operator of its own; its reads are audited under this name. */
const MONITOR: Principal = { kind: 'operator', name: 'dashboard-monitor', mayOpen: () => true };

export interface FleetSources {
  solSessions: () => SolSessionView[];
  agents: () => AgentsAnswer;
}

/**
 * What the operators' dashboard shows live, gathered once for every dashboard that watches
 * (`GET /api/v1/fleet/events`): the configured servers; the console sessions (through ctx.dispatch,
 * so the agents' too), serial consoles and agents, compared every 2 s and sent when they changed;
 * power states read in the background at a bounded rate (PowerPoller) through the same API path as
 * a panel's status call (audited, dispatched); and the recent API actions of anyone, seen by
 * wrapping the gateway's Dispatcher (`observe`). Nothing runs while nobody watches.
 */
export class FleetMonitor {
  readonly #ctx: GatewayContext;
  readonly #sources: FleetSources;
  readonly #subscribers = new Set<(e: FleetEvent) => void>();
  readonly #power: PowerPoller;
  readonly #activity: ActivityEntry[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #refreshing = false;
  #refreshAgain = false;
  #last: { sessions?: string; sol?: string; agents?: string } = {};
  #sessions: FleetEvent & { type: 'sessions' } = { type: 'sessions', sessions: [], unreachable: [] };

  constructor(ctx: GatewayContext, sources: FleetSources) {
    this.#ctx = ctx;
    this.#sources = sources;
    this.#power = new PowerPoller({
      serverIds: ctx.config.servers.filter((s) => s.power !== undefined).map((s) => s.id),
      read: async (id) => {
        const body = { action: 'ipmi_power', id, cmd: 'status' };
        const res = await ctx.dispatch.eq(MONITOR, 'ipmi_power', body, eqFields(body));
        return { power: res.power as 'on' | 'off', ...(typeof res.powerState === 'string' ? { powerState: res.powerState } : {}) };
      },
      onReading: (reading) => this.#send({ type: 'power', reading }),
      onError: (err) => this.#ctx.log.error({ event: 'fleet-monitor', err }, 'a power reading could not be sent to the dashboards'),
      refreshMs: POWER_REFRESH_MS,
      readsPerSecond: POWER_READS_PER_SECOND,
      concurrency: POWER_CONCURRENCY,
    });
    // Sessions that start or end here show at once, not at the next comparison.
    ctx.registry.observe({ created: () => this.#refreshSoon(), hooks: { ended: () => this.#refreshSoon() } });
  }

  get watchers(): number {
    return this.#subscribers.size;
  }

  /** Sends everything known now, then every change, until the returned function is called. */
  subscribe(send: (e: FleetEvent) => void): () => void {
    send({ type: 'servers', servers: this.#ctx.config.servers.map((s) => serverSummary(s, this.#ctx.config)) });
    send(this.#sessions);
    send({ type: 'sol-sessions', sessions: this.#sources.solSessions() });
    send({ type: 'agents', agents: this.#sources.agents() });
    for (const reading of this.#power.readings()) send({ type: 'power', reading });
    send({ type: 'activity', entries: [...this.#activity] });
    this.#subscribers.add(send);
    if (this.#subscribers.size === 1) this.#start();
    return () => {
      this.#subscribers.delete(send);
      if (this.#subscribers.size === 0) this.#stop();
    };
  }

  /** The gateway's Dispatcher, seen by the monitor: API actions feed the activity list and the power column. */
  observe(inner: Dispatcher): Dispatcher {
    return {
      eq: async (principal, action, body, fields) => {
        try {
          const res = await inner.eq(principal, action, body, fields);
          if (principal !== MONITOR) this.#sawEq(principal, action, fields, res, undefined);
          return res;
        } catch (err) {
          if (principal !== MONITOR) this.#sawEq(principal, action, fields, undefined, err);
          throw err;
        }
      },
      rest: async (principal, call, requestId) => {
        if (call.type === 'list' || call.type === 'get' || principal === MONITOR) return inner.rest(principal, call, requestId);
        try {
          const res = await inner.rest(principal, call, requestId);
          this.#sawRest(principal, call, res, undefined);
          return res;
        } catch (err) {
          this.#sawRest(principal, call, undefined, err);
          throw err;
        }
      },
    };
  }

  /** Shutdown. */
  /** After a configuration reload: the new server list to every feed, and power read for the new servers. */
  configChanged(): void {
    this.#power.setServers(this.#ctx.config.servers.filter((s) => s.power !== undefined).map((s) => s.id));
    this.#send({ type: 'servers', servers: this.#ctx.config.servers.map((s) => serverSummary(s, this.#ctx.config)) });
  }

  close(): void {
    this.#subscribers.clear();
    this.#stop();
  }

  #start(): void {
    this.#power.start();
    this.#timer = setInterval(() => this.#refresh(), LIST_INTERVAL_MS);
    this.#timer.unref();
    this.#refresh();
  }

  #stop(): void {
    this.#power.stop();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #send(e: FleetEvent): void {
    for (const s of this.#subscribers) s(e);
  }

  #refreshSoon(): void {
    if (this.#subscribers.size > 0) setTimeout(() => this.#refresh(), 100).unref();
  }

  /** Compares the live lists with what was last sent, and sends those that changed. */
  #refresh(): void {
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return;
    }
    this.#refreshing = true;
    this.#ctx.dispatch
      .rest(MONITOR, { type: 'list' })
      .then(
        (res) => {
          // Age is left to the page (from createdAt): it would make every comparison differ.
          const sessions = (res.sessions as SessionView[]).map((s) => ({ ...s, ageSeconds: 0 }));
          const unreachable = Array.isArray(res.unreachable) ? (res.unreachable as string[]) : [];
          this.#sessions = { type: 'sessions', sessions, unreachable };
          this.#sendIfChanged('sessions', this.#sessions);
        },
        (err: unknown) => this.#ctx.log.warn({ event: 'fleet-monitor', err: toPublicError(err).message }, 'could not list the sessions for the dashboard'),
      )
      .finally(() => {
        this.#refreshing = false;
        if (this.#refreshAgain) {
          this.#refreshAgain = false;
          this.#refresh();
        }
      });
    this.#sendIfChanged('sol', { type: 'sol-sessions', sessions: this.#sources.solSessions() });
    const agents = this.#sources.agents();
    // lastSeenMs grows by itself; an announcement changes `at`, which is what counts as news.
    this.#sendIfChanged('agents', { type: 'agents', agents }, JSON.stringify({ ...agents, agents: agents.agents.map((a) => ({ ...a, lastSeenMs: 0 })) }));
  }

  #sendIfChanged(what: 'sessions' | 'sol' | 'agents', e: FleetEvent, key = JSON.stringify(e)): void {
    if (this.#last[what] === key) return;
    this.#last[what] = key;
    this.#send(e);
  }

  #sawEq(p: Principal, action: string, fields: EqFields, res: Record<string, unknown> | undefined, err: unknown): void {
    let id: string | undefined;
    let cmd: string | undefined;
    try {
      id = fields.get('id');
      cmd = fields.get('cmd');
    } catch {
      return; // a malformed call: refused before it ran, nothing to show
    }
    if (!id) return;
    if (action === 'ipmi_power' && cmd === 'status') {
      // A panel's (or a dashboard's) status read: the power column learns from it; not an action.
      const reading: PowerReading = res
        ? {
            serverId: id,
            power: res.power as 'on' | 'off',
            ...(typeof res.powerState === 'string' ? { powerState: res.powerState } : {}),
            at: new Date().toISOString(),
          }
        : { serverId: id, power: null, at: new Date().toISOString(), error: { code: toPublicError(err).code, message: toPublicError(err).message } };
      this.#power.note(reading);
      return;
    }
    if (action === 'media' && cmd === 'status') return;
    let what = action;
    if (action === 'ipmi_power') what = `ipmi_power ${cmd ?? ''}`;
    else if (action === 'ipmi_bootdev') what = `ipmi_bootdev ${fields.get('dev') ?? ''}${fields.flag('persistent') ? ' persistent' : ''}`;
    else if (action === 'media') what = `media ${cmd ?? ''}`;
    else if (action === 'novnc' && fields.flag('view_only')) what = 'novnc view_only';
    this.#record(p, id, what, err);
    if (action === 'ipmi_power' && err === undefined) for (const d of POWER_REREAD_MS) this.#power.soon(id, d);
    if (action === 'novnc' || action === 'sol') this.#refreshSoon();
  }

  #sawRest(p: Principal, call: RestCall, _res: Record<string, unknown> | undefined, err: unknown): void {
    if (call.type === 'open') this.#record(p, call.serverId, call.viewOnly ? 'novnc view_only' : 'novnc', err);
    else if (call.type === 'end') {
      const s = this.#sessions.sessions.find((x) => x.id === call.sessionId);
      this.#record(p, s?.serverId ?? call.sessionId, 'end', err);
    }
    this.#refreshSoon();
  }

  #record(p: Principal, serverId: string, action: string, err: unknown): void {
    const e = err === undefined ? undefined : toPublicError(err);
    const entry: ActivityEntry = {
      at: new Date().toISOString(),
      who: p.name,
      serverId,
      action,
      result: e ? 'error' : 'ok',
      ...(e ? { code: e.code, message: e.message } : {}),
    };
    this.#activity.push(entry);
    if (this.#activity.length > ACTIVITY_MAX) this.#activity.shift();
    this.#send({ type: 'activity', entries: [entry] });
  }
}
