import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PcapError } from '../../protocols/errors.js';
import { bmcStreamOf } from '../../src/sources/aten/capture-stream.js';
import { filesIn, SHARED_FIXTURES } from '../seeds.js';
import type { FuzzTarget } from '../types.js';

/** Capture files as `aten-replay` and the capture replay BMC read them: pcap/pcapng, TCP frames, reassembly. */
export const pcap: FuzzTarget = {
  name: 'pcap',
  description: 'packet captures (CaptureReader: libpcap and pcapng, decodeTcpFrame, TcpReassembler) as aten-replay reads them',
  coverage: ['/protocols/pcap/', '/src/sources/aten/capture-stream'],
  seeds: () =>
    [...filesIn(join(SHARED_FIXTURES, 'aten', 'handshakes'), '.pcap'), ...filesIn(join(SHARED_FIXTURES, 'aten', 'sessions'), '.pcap')].map((f) =>
      readFileSync(f).subarray(0, 24 * 1024),
    ),
  run(input) {
    const s = bmcStreamOf(input);
    return `${s.format}:${s.startsWithBanner}:${Math.min(s.holes.length, 3)}`;
  },
  expected: (err) => err instanceof PcapError,
};
