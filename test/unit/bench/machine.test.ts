import { describe, expect, it } from 'vitest';
import { describeMachineCosts, loopbackRoundTrip, pageFaultCost } from '../../../bench/machine.js';

/**
 * The machine's costs the benchmark prints with every run (bench/machine.ts). The page-fault figure
 * means something only if the memory touched was fresh: the kernel must have counted about one fault
 * for every page, which is what these tests hold it to.
 */
describe('machine costs', () => {
  it('touches fresh memory: the kernel counts a fault for (nearly) every page, and each costs some CPU', async () => {
    const r = await pageFaultCost(16 * 1024 * 1024, 2);
    expect(r.faultsPerPage).toBeGreaterThan(0.9);
    expect(r.faultsPerPage).toBeLessThan(1.5);
    expect(r.pageFaultUs).toBeGreaterThan(0);
    expect(Number.isFinite(r.pageFaultUs)).toBe(true);
  });

  it('times round trips through an echo process, as many as asked for', async () => {
    const r = await loopbackRoundTrip(200, 10_000);
    expect(r.n).toBe(200);
    expect(r.p50).toBeGreaterThan(0);
    expect(r.p99).toBeGreaterThanOrEqual(r.p50);
  });

  it('describes both for the run header', () => {
    const s = describeMachineCosts({ pageFaultUs: 11.24, faultsPerPage: 1, roundTripUs: { p50: 47.6, p99: 95.2 }, roundTrips: 2000 });
    expect(s).toBe('a page fault 11.2 µs, a loopback round trip between processes 48 µs (p99 95)');
  });
});
