import { WsRfbViewer } from '../bench/ws-rfb-viewer.js';
import type { FlakyRelay } from './flaky-relay.js';

export interface LoadCounters {
  opens: number;
  joins: number;
  viewersServed: number;
  stalledViewers: number;
  bmcDrops: number;
  lists: number;
  /** Refused because a limit was reached (maxViewers / maxSessions): the client's doing, not a loss. */
  refusedByLimit: number;
  /** Failures while the server's BMC was down or had just come back: the BMC's doing. */
  failedBmcAtFault: number;
  /** Failures nobody caused: a console or viewer lost. The soak's goal is 0. */
  lost: number;
  lostDetails: string[];
  sessionKeys: Set<string>;
}

export interface LoadTarget {
  gatewayUrl: string;
  token: string;
  closeUrl: string;
  servers: readonly { id: string; relay: FlakyRelay }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The soak's users: workers that open consoles (eq.php, with a close URL), connect viewers and wait
 * for a picture, sometimes join a second viewer, hold a few seconds and leave (the gateway reaps the
 * session after its idle timeout); some viewers stall (stop reading: the gateway must drop them on
 * its pings); now and then a BMC drops for a few seconds and returns. Every loop is bounded by
 * `until`.
 */
export class SoakLoad {
  readonly counters: LoadCounters = {
    opens: 0,
    joins: 0,
    viewersServed: 0,
    stalledViewers: 0,
    bmcDrops: 0,
    lists: 0,
    refusedByLimit: 0,
    failedBmcAtFault: 0,
    lost: 0,
    lostDetails: [],
    sessionKeys: new Set(),
  };
  readonly #t: LoadTarget;
  readonly #rand: () => number;
  readonly #stalled = new Set<WsRfbViewer>();
  /** relay → when it last came back up (ms): failures shortly after still count as the BMC's fault. */
  readonly #lastDrop = new Map<FlakyRelay, number>();

  constructor(t: LoadTarget, rand: () => number) {
    this.#t = t;
    this.#rand = rand;
  }

  async run(workers: number, until: number): Promise<void> {
    await Promise.all([...Array.from({ length: workers }, () => this.#worker(until)), this.#chaos(until)]);
    for (const v of this.#stalled) v.close();
  }

  #bmcAtFault(relay: FlakyRelay): boolean {
    return relay.down || Date.now() - (this.#lastDrop.get(relay) ?? 0) < 20_000;
  }

  #lose(what: string): void {
    this.counters.lost++;
    if (this.counters.lostDetails.length < 50) this.counters.lostDetails.push(`${new Date().toISOString()} ${what}`);
  }

  async #worker(until: number): Promise<void> {
    while (Date.now() < until) {
      const server = this.#t.servers[Math.floor(this.#rand() * this.#t.servers.length)]!;
      const p = this.#rand();
      try {
        if (p < 0.05) await this.#list();
        else if (p < 0.13) await this.#stall(server);
        else await this.#view(server, until);
      } catch (err) {
        this.#lose(`worker: ${(err as Error).message}`);
      }
      await sleep(100 + this.#rand() * 400);
    }
  }

  async #open(server: LoadTarget['servers'][number]): Promise<string | undefined> {
    const res = await fetch(`${this.#t.gatewayUrl}/eq.php`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'novnc', token: this.#t.token, id: server.id, closeurl: this.#t.closeUrl }).toString(),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json()) as { result: string; scope?: string; key?: string; joined?: boolean; error?: { code: string; message: string } };
    if (body.result === 'OK' && body.scope && body.key) {
      this.counters.sessionKeys.add(body.key);
      if (body.joined) this.counters.joins++;
      else this.counters.opens++;
      return body.scope;
    }
    const code = body.error?.code ?? String(res.status);
    if (code === 'GW_ERR_TOO_MANY_VIEWERS' || code === 'GW_ERR_TOO_MANY_SESSIONS') this.counters.refusedByLimit++;
    else if (this.#bmcAtFault(server.relay)) this.counters.failedBmcAtFault++;
    else this.#lose(`open ${server.id}: ${code} ${body.error?.message ?? ''}`);
    return undefined;
  }

  async #viewer(server: LoadTarget['servers'][number], scope: string): Promise<WsRfbViewer | undefined> {
    const v = new WsRfbViewer(scope.replace(/^http/, 'ws').replace('/console/', '/ws/'));
    try {
      await v.ready();
      const deadline = Date.now() + 20_000;
      while (v.updates === 0 && Date.now() < deadline && !v.closed) await sleep(50);
      if (v.updates === 0) throw new Error('no picture within 20 s');
      this.counters.viewersServed++;
      return v;
    } catch (err) {
      v.close();
      if (this.#bmcAtFault(server.relay)) this.counters.failedBmcAtFault++;
      else this.#lose(`viewer ${server.id}: ${(err as Error).message}`);
      return undefined;
    }
  }

  async #view(server: LoadTarget['servers'][number], until: number): Promise<void> {
    const scope = await this.#open(server);
    if (!scope) return;
    const viewers = [await this.#viewer(server, scope)];
    if (viewers[0] && this.#rand() < 0.3) {
      const second = await this.#open(server);
      if (second) viewers.push(await this.#viewer(server, second));
    }
    const hold = Math.min(1000 + this.#rand() * 7000, Math.max(0, until - Date.now()));
    await sleep(hold);
    for (const v of viewers) {
      if (!v) continue;
      // Closed under us while the BMC was fine: a viewer lost (a BMC drop keeps viewers: reconnecting).
      if (v.closed && !this.#bmcAtFault(server.relay)) this.#lose(`viewer of ${server.id} closed by the gateway while held`);
      v.close();
    }
  }

  async #stall(server: LoadTarget['servers'][number]): Promise<void> {
    const scope = await this.#open(server);
    if (!scope) return;
    const v = await this.#viewer(server, scope);
    if (!v) return;
    // Stop reading: no pongs, no update requests. The gateway's pings must drop it.
    v.ws.pause();
    this.counters.stalledViewers++;
    this.#stalled.add(v);
    setTimeout(() => {
      v.close();
      this.#stalled.delete(v);
    }, 30_000).unref();
  }

  async #list(): Promise<void> {
    const res = await fetch(`${this.#t.gatewayUrl}/api/v1/sessions`, {
      headers: { authorization: `Bearer ${this.#t.token}` },
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    if (res.status !== 200) this.#lose(`list: HTTP ${res.status}`);
    this.counters.lists++;
  }

  async #chaos(until: number): Promise<void> {
    while (Date.now() < until) {
      await sleep(10_000 + this.#rand() * 10_000);
      if (Date.now() >= until) break;
      const relay = this.#t.servers[Math.floor(this.#rand() * this.#t.servers.length)]!.relay;
      const ms = 3000 + this.#rand() * 5000;
      relay.drop(ms);
      this.#lastDrop.set(relay, Date.now() + ms);
      this.counters.bmcDrops++;
    }
  }
}
