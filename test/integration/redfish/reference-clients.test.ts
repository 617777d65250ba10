import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fenceRedfish, redfishtool, sushyDrive } from '../../helpers/redfish/reference-clients.js';
import { RedfishSimulator, SIM_ADMIN, SIM_READONLY } from '../../helpers/redfish/simulator.js';

// Our Redfish simulator (test/helpers/redfish/) checked against the clients Debian ships, before
// the gateway is tested against it: DMTF's redfishtool, OpenStack's sushy and fence_redfish must
// read it and drive power, boot override and virtual media through it. What the simulator did is
// read from its own records (resets, bootChanges, mediaChanges, requests), not from the clients.

let sim: RedfishSimulator;

beforeAll(async () => {
  sim = await RedfishSimulator.start({ powerTransitionMs: 200, taskMs: 400 });
}, 30_000);

afterAll(async () => {
  await sim?.stop();
});

const json = (out: string): Record<string, any> => JSON.parse(out) as Record<string, any>;

describe('redfishtool (DMTF) against the simulator', () => {
  it('reads the service root and the system, with a session and with Basic', async () => {
    const root = await redfishtool(sim.port, ['root']);
    expect(root.code, root.err).toBe(0);
    expect(json(root.out)).toMatchObject({ RedfishVersion: '1.11.0', Links: { Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' } } });
    for (const auth of ['Session', 'Basic']) {
      const before = sim.requests.length;
      const sys = await redfishtool(sim.port, ['-A', auth, 'Systems', '-1']);
      expect(sys.code, sys.err).toBe(0);
      expect(json(sys.out)).toMatchObject({
        Id: 'System.Embedded.1',
        PowerState: 'Off',
        Actions: { '#ComputerSystem.Reset': { 'ResetType@Redfish.AllowableValues': expect.arrayContaining(['On', 'ForceOff', 'PowerCycle']) } },
      });
      const used = sim.requests.slice(before);
      if (auth === 'Session') {
        expect(used.some((r) => r.method === 'POST' && r.path === sim.paths.sessions)).toBe(true);
        expect(used.filter((r) => r.path === sim.paths.system).every((r) => r.auth === 'token')).toBe(true);
        expect(used.some((r) => r.method === 'DELETE' && r.path.startsWith(`${sim.paths.sessions}/`))).toBe(true);
      } else {
        expect(used.filter((r) => r.path === sim.paths.system).every((r) => r.auth === 'basic')).toBe(true);
      }
    }
    expect(sim.sessions).toEqual([]); // redfishtool logged out
  });

  it('resets the system, sets the boot override with If-Match, inserts and ejects media through a task', async () => {
    const on = await redfishtool(sim.port, ['-A', 'Session', 'Systems', '-1', 'reset', 'On']);
    expect(on.code, on.err).toBe(0);
    expect(sim.resets.at(-1)).toBe('On');
    await expect.poll(() => sim.state.powerState, { timeout: 5_000 }).toBe('On');

    const boot = await redfishtool(sim.port, ['Systems', '-1', 'setBootOverride', 'Once', 'Pxe']);
    expect(boot.code, boot.err).toBe(0);
    expect(sim.bootChanges.at(-1)).toBe('Once Pxe');
    const patch = sim.requests.filter((r) => r.method === 'PATCH').at(-1)!;
    expect(patch.ifMatch).toMatch(/^W\/"sys-\d+"$/);

    // InsertMedia answers 202 + a task monitor here; redfishtool follows it until the final answer.
    const insert = await redfishtool(sim.port, [
      'raw',
      'POST',
      sim.paths.insert,
      '-d',
      JSON.stringify({ Image: 'https://images.example/debian.iso', Inserted: true, WriteProtected: true, TransferProtocolType: 'HTTPS' }),
    ]);
    expect(insert.code, insert.err).toBe(0);
    expect(sim.requests.filter((r) => r.path.endsWith('/Monitor')).length).toBeGreaterThan(0);
    expect(sim.state.media).toMatchObject({ image: 'https://images.example/debian.iso', inserted: true, protocol: 'HTTPS' });
    const cd = await redfishtool(sim.port, ['raw', 'GET', sim.paths.cd]);
    expect(json(cd.out)).toMatchObject({ Inserted: true, Image: 'https://images.example/debian.iso', ConnectedVia: 'URI' });
    const eject = await redfishtool(sim.port, ['raw', 'POST', sim.paths.eject, '-d', '{}']);
    expect(eject.code, eject.err).toBe(0);
    expect(sim.state.media.inserted).toBe(false);
  });

  it("is refused a wrong password, a read-only user's reset and a ResetType the system does not allow", async () => {
    const bad = await redfishtool(sim.port, ['-A', 'Session', 'Systems', '-1'], { name: SIM_ADMIN.name, password: 'wrong' });
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/401/);
    const ro = await redfishtool(sim.port, ['Systems', '-1', 'reset', 'ForceOff'], SIM_READONLY);
    expect(ro.code).not.toBe(0);
    expect(ro.err).toMatch(/403/);
    const narrow = await RedfishSimulator.start({ resetTypes: ['On', 'ForceOff'] });
    try {
      // redfishtool reads ResetType@Redfish.AllowableValues and refuses before sending…
      const r = await redfishtool(narrow.port, ['Systems', '-1', 'reset', 'PowerCycle']);
      expect(r.code).not.toBe(0);
      expect(r.err).toContain('not supported by the remote service (via @Redfish.AllowableValues)');
      // …and when sent anyway, the simulator answers 400 ActionParameterValueNotInList.
      const raw = await redfishtool(narrow.port, ['-ssss', 'raw', 'POST', narrow.paths.reset, '-d', '{"ResetType":"PowerCycle"}']);
      expect(raw.code).not.toBe(0);
      expect(raw.err).toMatch(/400/);
      expect(narrow.resets).toEqual([]);
    } finally {
      await narrow.stop();
    }
  });
});

describe('python3-sushy against the simulator', () => {
  it('reads and drives it with a session: allowed resets, boot override, the CD among the virtual media', async () => {
    const r = await sushyDrive(sim.port, 'session', ['read', 'reset:ForceOff', 'boot:Cd:Continuous', 'insert:http://images.example/installer.iso', 'logout']);
    expect(r.steps[0]!.read).toMatchObject({
      system: 'System.Embedded.1',
      allowedResets: ['ForceOff', 'ForceOn', 'ForceRestart', 'GracefulRestart', 'GracefulShutdown', 'Nmi', 'On', 'PowerCycle', 'PushPowerButton'],
      manager: 'BMC',
      cd: 'CD', // the USB member is listed first: sushy picked the CD by MediaTypes, as the gateway must
      session: true,
    });
    expect(sim.resets.at(-1)).toBe('ForceOff');
    expect(sim.state.powerState).toBe('Off');
    expect(sim.bootChanges.at(-1)).toBe('Continuous Cd');
    expect(sim.requests.filter((x) => x.method === 'PATCH').at(-1)!.ifMatch).toMatch(/^W\/"sys-\d+"$/);
    // sushy does not wait for the InsertMedia task; the simulator finishes it.
    await expect.poll(() => sim.state.media.image, { timeout: 5_000 }).toBe('http://images.example/installer.iso');
    expect(sim.sessions).toEqual([]);
    const again = await sushyDrive(sim.port, 'basic', ['eject', 'read']);
    expect(again.steps[1]!.read).toMatchObject({ inserted: false, image: null, session: false, bootTarget: 'Cd', bootEnabled: 'Continuous' });
  });

  it('falls back to Basic where there is no SessionService', async () => {
    const basicOnly = await RedfishSimulator.start({ sessionService: false });
    try {
      const r = await sushyDrive(basicOnly.port, 'auto', ['read', 'reset:On']);
      expect(r.steps[0]!.read).toMatchObject({ power: 'Off', session: false });
      expect(basicOnly.resets).toEqual(['On']);
      expect(basicOnly.requests.filter((x) => x.path === basicOnly.paths.system).every((x) => x.auth === 'basic')).toBe(true);
    } finally {
      await basicOnly.stop();
    }
  });
});

describe('fence_redfish (fence-agents) against the simulator', () => {
  it('status, off, on, reboot', async () => {
    await fenceRedfish(sim.port, 'on');
    let st = await fenceRedfish(sim.port, 'status');
    expect(st.out).toContain('Status: ON');
    expect(st.code).toBe(0);
    const off = await fenceRedfish(sim.port, 'off');
    expect(off.code, off.out + off.err).toBe(0);
    expect(off.out).toContain('Powered OFF');
    expect(sim.resets.at(-1)).toBe('ForceOff');
    st = await fenceRedfish(sim.port, 'status');
    expect(st.out).toContain('Status: OFF');
    expect(st.code).toBe(2); // fence agents' "off" status
    const on = await fenceRedfish(sim.port, 'on', [`--systems-uri=${sim.paths.system}`]);
    expect(on.code, on.out + on.err).toBe(0);
    expect(sim.resets.at(-1)).toBe('On');
    await expect.poll(() => sim.state.powerState, { timeout: 5_000 }).toBe('On');
    const reboot = await fenceRedfish(sim.port, 'reboot');
    expect(reboot.code, reboot.out + reboot.err).toBe(0);
    expect(sim.resets.slice(-2)).toEqual(['ForceOff', 'On']); // fence_redfish reboots as off + on
  }, 60_000);

  it('fails with a wrong password', async () => {
    const r = await fenceRedfish(sim.port, 'status', [], { name: SIM_ADMIN.name, password: 'wrong' });
    expect(r.code).not.toBe(0);
  });
});
