/**
 * The replay BMC in a process of its own, for the benchmark: the harness process is busy decoding
 * for up to 100 viewers, and a BMC sharing its event loop would answer the gateway's requests late,
 * so the row would measure the harness. Started with fork(); speaks over the IPC channel:
 *   → { type: 'ready', webPort, consoleConfig, perLoop }     once listening
 *   ← { type: 'release' }                                   play everything after the first update
 *   → { type: 'decoded', ms, updates }                      the request after the last update came
 *                                                            (ms since release, on this process's clock)
 * argv[2]: JSON { capture, loops, webUser, webPassword }.
 */
import { readFileSync } from 'node:fs';
import { bmcStreamOf } from '../src/sources/aten/capture-stream.js';
import { AtenReplayBmc } from './aten-replay-bmc.js';

interface Args {
  capture: string;
  loops: number;
  webUser: string;
  webPassword: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
let release!: () => void;
const gate = new Promise<void>((r) => (release = r));
let releasedAt = 0;
let reported = false;
const stream = bmcStreamOf(readFileSync(args.capture));
const bmc = await AtenReplayBmc.start({
  stream,
  speed: 'max',
  loops: args.loops,
  gate,
  webUser: args.webUser,
  webPassword: args.webPassword,
  onRequest: () => {
    // The first request after the last update was sent: the gateway has decoded everything. (Counting
    // requests alone would not do: a client's watchdog asks again while the BMC holds back.)
    const total = perLoop * args.loops;
    if (bmc.updatesSent === total && !reported) {
      reported = true;
      process.send!({ type: 'decoded', ms: performance.now() - releasedAt, updates: total });
    }
  },
});
const perLoop = bmc.session!.messages.filter((m) => m.update).length;
process.on('message', (m: { type: string }) => {
  if (m.type === 'release') {
    releasedAt = performance.now();
    release();
  }
});
process.on('disconnect', () => void bmc.close().then(() => process.exit(0)));
process.send!({ type: 'ready', webPort: bmc.webPort, consoleConfig: bmc.consoleConfig(), perLoop });
