import { createSocket } from 'node:dgram';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTracked, terminate } from './child-processes.js';
import { requirePeer } from './require-peer.js';

/**
 * Starts OpenIPMI's ipmi_sim (Debian `openipmi`) on 127.0.0.1 with a random UDP port and a temp
 * config, as in shared/notes/ipmi.md §4.3: power through a chassis_control hook script that records
 * every call, SOL instance 1 on a TCP "serial port" this helper listens on. A missing ipmi_sim is an
 * error (tests must fail, not skip).
 */

export interface IpmiSim {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly dir: string;
  /** Lines the hook recorded, e.g. "0x20 set power 1", oldest first. */
  hookLog(): Promise<string[]>;
  /** The simulated power state as the hook stores it: '0' or '1'. */
  powerState(): Promise<string>;
  bootState(): Promise<string>;
  /** The TCP connection ipmi_sim made to our fake serial device (resolves when it connects). */
  serial(): Promise<Socket>;
  stop(): Promise<void>;
}

export const SIM_USERS = Object.freeze({
  admin: { user: 'admin', password: 'secret' },
  operator: { user: 'oper', password: 'operpw' },
  user: { user: 'plain', password: 'plainpw' },
});

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const HOOK = `#!/bin/sh
# ipmi_sim chassis_control hook (notes §4.3): <dev> get power|boot ... / <dev> set power 1 reset 1 boot pxe ...
D=$(dirname "$0"); STATE=$D/power.state; BOOT=$D/boot.state; LOG=$D/chassis.log
[ -f $STATE ] || echo 0 > $STATE; [ -f $BOOT ] || echo default > $BOOT
dev=$1; op=$2; shift 2
echo "$dev $op $*" >> $LOG
case $op in
  get) for p in "$@"; do case $p in
         power) echo "power:$(cat $STATE)";;
         boot) echo "boot:$(cat $BOOT)";;
         *) echo "Invalid parameter: $p"; exit 1;; esac; done;;
  set) while [ $# -gt 0 ]; do p=$1; v=$2; shift 2; case $p in
         power) echo $v > $STATE;;
         reset) ;;
         boot) echo $v > $BOOT;;
         shutdown) echo 0 > $STATE;;
         identify) ;;
         *) echo "Invalid parameter: $p"; exit 1;; esac; done;;
  *) exit 1;;
esac
exit 0
`;

function probe(port: number): Promise<boolean> {
  // Get Channel Authentication Capabilities in IPMI v1.5 framing, byte for byte as ipmitool sends it (notes §1.2).
  const req = Buffer.from('0600ff070000000000000000000920' + '18c881003' + '88e04b5', 'hex');
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(false);
    }, 200);
    s.on('message', () => {
      clearTimeout(timer);
      s.close();
      resolve(true);
    });
    s.on('error', () => {});
    s.send(req, port, '127.0.0.1');
  });
}

export async function startIpmiSim(): Promise<IpmiSim> {
  const binary = requirePeer('ipmi_sim', 'openipmi');
  const dir = await mkdtemp(join(tmpdir(), 'ipmi-sim-'));
  await mkdir(join(dir, 'state'));
  let serialSocket: Socket | null = null;
  const serialWaiters: ((s: Socket) => void)[] = [];
  const serialServer: Server = createServer((sock) => {
    serialSocket = sock;
    for (const w of serialWaiters.splice(0)) w(sock);
  });
  await new Promise<void>((resolve) => serialServer.listen(0, '127.0.0.1', resolve));
  const solPort = (serialServer.address() as { port: number }).port;
  const port = await freeUdpPort();
  const hook = join(dir, 'chassis.sh');
  await writeFile(hook, HOOK);
  await chmod(hook, 0o755);
  await writeFile(
    join(dir, 'lan.conf'),
    `name "gwtest"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 ${port}
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  chassis_control "${hook} 0x20"
  sol "tcp:127.0.0.1:${solPort}" 115200
  user 2 true  "${SIM_USERS.admin.user}" "${SIM_USERS.admin.password}" admin 10 none md2 md5 straight
  user 3 true  "${SIM_USERS.operator.user}" "${SIM_USERS.operator.password}" operator 10 none md2 md5 straight
  user 4 true  "${SIM_USERS.user.user}" "${SIM_USERS.user.password}" user 10 none md2 md5 straight
`,
  );
  await writeFile(
    join(dir, 'sim.emu'),
    'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nsel_enable 0x20 1000 0x0a\nmc_enable 0x20\n',
  );
  // -n: no console on stdin (needed in the background). spawnTracked kills it if the test process dies.
  const sim = spawnTracked(binary, ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'sim.emu'), '-s', join(dir, 'state'), '-n']);

  const stop = async () => {
    await terminate(sim, 2000);
    serialSocket?.destroy();
    await new Promise<void>((resolve) => serialServer.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    if (sim.child.exitCode !== null || sim.child.signalCode !== null) {
      await stop();
      throw new Error(`ipmi_sim exited at start: ${sim.output()}`);
    }
    if (await probe(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`ipmi_sim did not answer on UDP ${port} within 10 s: ${sim.output()}`);
    }
  }

  const read = async (name: string) => (await readFile(join(dir, name), 'utf8').catch(() => '')).trim();
  return {
    host: '127.0.0.1',
    port,
    dir,
    hookLog: async () => (await read('chassis.log')).split('\n').filter((l) => l.length > 0),
    powerState: () => read('power.state'),
    bootState: () => read('boot.state'),
    serial: () => (serialSocket ? Promise.resolve(serialSocket) : new Promise((resolve) => serialWaiters.push(resolve))),
    stop,
  };
}
