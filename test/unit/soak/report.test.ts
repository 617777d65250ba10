import { describe, expect, it } from 'vitest';
import { plotSvg, sampleFromMetrics, trend, type Sample } from '../../../soak/report.js';

const METRICS = `# HELP x
bmcgw_process_resident_memory_bytes 104857600
bmcgw_nodejs_heap_size_used_bytes 20971520
bmcgw_process_open_fds 42
bmcgw_diag_timers 17
bmcgw_nodejs_active_handles_total 9
bmcgw_sessions 5
bmcgw_viewers{view_only="false"} 3
bmcgw_viewers{view_only="true"} 1
`;

describe('soak report', () => {
  it("reads a sample from the gateway's /metrics", () => {
    expect(sampleFromMetrics(METRICS, 10)).toEqual({ t: 10, rssMb: 100, heapMb: 20, fds: 42, timers: 17, handles: 9, sessions: 5, viewers: 4 });
  });

  it('a flat series has no slope; a leak shows as one per hour; the plot has one line per series', () => {
    const flat: Sample[] = Array.from({ length: 30 }, (_, i) => ({ ...sampleFromMetrics(METRICS, i * 10), rssMb: 100 + (i % 2) }));
    expect(Math.abs(trend(flat, 'rssMb').perHour)).toBeLessThan(5);
    const leak = flat.map((s) => ({ ...s, fds: 42 + s.t / 10 }));
    expect(trend(leak, 'fds').perHour).toBeCloseTo(360, 5);
    expect(trend(leak, 'fds').lastThird).toBeGreaterThan(trend(leak, 'fds').firstThird);
    expect(plotSvg(flat, 60, 'soak <test>').match(/<polyline/g)).toHaveLength(7);
    expect(plotSvg(flat, 60, 'soak <test>')).toContain('soak &lt;test>');
  });
});
