import { createHook } from 'node:async_hooks';
import { Gauge } from 'prom-client';
import type { Metrics } from './metrics.js';

/**
 * Counts live timers, unref'd ones included (Node's own active-resources count leaves those out, and
 * every session clock here is unref'd): a leak of timers is what a soak must be able to see. Costs an
 * async hook on every async resource, so it is on only with BMCGW_DIAGNOSTICS=1 (`npm run soak` sets it).
 */
export function enableTimerCount(metrics: Metrics): void {
  const live = new Set<number>();
  createHook({
    init(asyncId, type) {
      if (type === 'Timeout') live.add(asyncId);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  new Gauge({
    name: 'bmcgw_diag_timers',
    help: "Live timers, unref'd included (BMCGW_DIAGNOSTICS=1 only)",
    registers: [metrics.registry],
    collect() {
      this.set(live.size);
    },
  });
}
