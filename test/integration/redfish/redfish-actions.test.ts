import { afterEach, describe, expect, it } from 'vitest';
import type { RedfishAuditEvent } from '../../../src/redfish/redfish-service.js';
import { SIM_ADMIN, type RedfishSimulatorOptions } from '../../helpers/redfish/simulator.js';
import { failure, RedfishTestPool } from '../../helpers/redfish/pool.js';
import { simTarget } from '../../helpers/redfish/target.js';

// RedfishService (what the API and the CLI call) against our simulator: the power commands and
// their nearest allowed equivalents, the boot override with ETags, virtual media, 202 + task, and
// one audit record per action. What the BMC did is read from the simulator's records.

const pool = new RedfishTestPool();
const sim = (o: RedfishSimulatorOptions = {}) => pool.sim(o);
const service = (audit?: (e: RedfishAuditEvent) => void) => pool.service(audit ? { audit } : {});
afterEach(() => pool.cleanup());

const MEDIA = { allow: ['images.example', '*.mirror.example'] };

describe('power through ComputerSystem.Reset', () => {
  it('maps on/off/soft/cycle/reset to On/ForceOff/GracefulShutdown/PowerCycle/ForceRestart, status from PowerState', async () => {
    const s = await sim();
    const svc = service();
    const t = simTarget(s);
    expect(await svc.status(t)).toEqual({ power: 'off', powerState: 'Off' });
    for (const [cmd, type] of [
      ['on', 'On'],
      ['off', 'ForceOff'],
      ['cycle', 'PowerCycle'],
      ['reset', 'ForceRestart'],
      ['soft', 'GracefulShutdown'],
    ] as const) {
      expect(await svc.power(t, cmd)).toEqual({ performed: [type], note: undefined });
      expect(s.resets.at(-1)).toBe(type);
    }
    expect(await svc.status(t)).toEqual({ power: 'off', powerState: 'Off' });
    expect(s.requests.filter((r) => r.method === 'POST' && r.path === s.paths.sessions)).toHaveLength(1); // one login for all
  });

  it("PoweringOn counts as on, with the BMC's own word beside it", async () => {
    const s = await sim({ powerTransitionMs: 60_000 });
    const svc = service();
    await svc.power(simTarget(s), 'on');
    expect(await svc.status(simTarget(s))).toEqual({ power: 'on', powerState: 'PoweringOn' });
  });

  it('cycle without PowerCycle: ForceOff, then On once PowerState is Off; and says so', async () => {
    const s = await sim({ resetTypes: ['On', 'ForceOff', 'GracefulShutdown', 'ForceRestart'], powerTransitionMs: 300 });
    s.state.powerState = 'On';
    const svc = service();
    const r = await svc.power(simTarget(s), 'cycle');
    expect(r).toEqual({ performed: ['ForceOff', 'On'], note: 'the BMC does not allow ResetType PowerCycle; sent ForceOff, then On once the power was off' });
    expect(s.resets).toEqual(['ForceOff', 'On']);
  });

  it('reset without ForceRestart: PowerCycle; without that too: ForceOff then On', async () => {
    const s1 = await sim({ resetTypes: ['On', 'ForceOff', 'PowerCycle'] });
    const svc = service();
    expect(await svc.power(simTarget(s1), 'reset')).toEqual({
      performed: ['PowerCycle'],
      note: 'the BMC does not allow ResetType ForceRestart; sent PowerCycle',
    });
    expect(s1.resets).toEqual(['PowerCycle']);
    const s2 = await sim({ resetTypes: ['On', 'ForceOff'], resetTypesVia: 'actionInfo' });
    const r = await svc.power(simTarget(s2), 'reset');
    expect(r.performed).toEqual(['ForceOff', 'On']);
    expect(r.note).toContain('neither ResetType ForceRestart nor PowerCycle');
    expect(s2.requests.some((x) => x.path === s2.paths.resetInfo)).toBe(true); // read through @Redfish.ActionInfo
  });

  it('a reset type the BMC does not allow and has no equivalent for: GW_ERR_ACTION_NOT_ALLOWED naming what it allows, nothing sent', async () => {
    const s = await sim({ resetTypes: ['On', 'ForceOff'] });
    const svc = service();
    const e = await failure(svc.power(simTarget(s), 'soft'));
    expect(e.code).toBe('GW_ERR_ACTION_NOT_ALLOWED');
    expect(e.message).toBe('the BMC does not allow ResetType GracefulShutdown for "soft"; it allows: On, ForceOff');
    expect(s.resets).toEqual([]);
    expect(s.requests.filter((r) => r.method === 'POST' && r.path === s.paths.reset)).toEqual([]);
  });

  it("a BMC that does not publish its allowed values and refuses: the BMC's MessageId and message", async () => {
    const s = await sim({ resetTypes: ['On', 'ForceOff'], resetTypesVia: 'none' });
    const svc = service();
    const e = await failure(svc.power(simTarget(s), 'cycle'));
    expect(e.code).toBe('GW_ERR_ACTION_NOT_ALLOWED');
    expect(e.message).toContain('ComputerSystem.Reset (PowerCycle)');
    expect(e.message).toContain(
      'HTTP 400, Base.1.8.1.ActionParameterValueNotInList: The value PowerCycle of parameter ResetType is not allowed for the action ComputerSystem.Reset.',
    );
  });

  it('follows a 202 + task monitor for Reset, and a Location that is the Task itself', async () => {
    for (const taskStyle of ['monitor', 'task'] as const) {
      const s = await sim({ asyncActions: ['Reset'], taskMs: 500, taskStyle });
      const svc = service();
      expect((await svc.power(simTarget(s), 'on')).performed).toEqual(['On']);
      expect(s.resets).toEqual(['On']); // done when the call returned
      expect(s.requests.filter((r) => r.path.startsWith(`${s.paths.tasks}/`)).length).toBeGreaterThan(0);
    }
  });

  it('a task still running when taskTimeout ends is GW_ERR_BMC_TIMEOUT', async () => {
    const s = await sim({ asyncActions: ['Reset'], taskMs: 30_000 });
    const svc = service();
    const e = await failure(svc.power(simTarget(s, { taskTimeoutMs: 800 }), 'on'));
    expect(e.code).toBe('GW_ERR_BMC_TIMEOUT');
    expect(e.message).toMatch(/still running when the wait ended \(TaskState Running, 0%\)/);
  });
});

describe('boot override', () => {
  it('PATCHes Boot with If-Match; pxe/disk/cdrom/bios → Pxe/Hdd/Cd/BiosSetup, Once or Continuous', async () => {
    const s = await sim({ requireIfMatch: true });
    const svc = service();
    for (const [dev, target] of [
      ['pxe', 'Pxe'],
      ['disk', 'Hdd'],
      ['cdrom', 'Cd'],
      ['bios', 'BiosSetup'],
    ] as const) {
      await svc.setBootDevice(simTarget(s), dev, dev === 'disk', 'tester');
      expect(s.bootChanges.at(-1)).toBe(`${dev === 'disk' ? 'Continuous' : 'Once'} ${target}`);
    }
    const patches = s.requests.filter((r) => r.method === 'PATCH');
    expect(patches.every((p) => /^W\/"sys-\d+"$/.test(p.ifMatch ?? ''))).toBe(true);
    expect(patches[0]!.body).toEqual({ Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' } });
  });

  it('the system changed between read and PATCH (412): read again and PATCH once more', async () => {
    const s = await sim();
    const svc = service();
    let first = true;
    s.hook = (r) => {
      if (r.method === 'PATCH' && first) {
        first = false;
        s.touchSystem(); // the ETag the client read is stale now
      }
      return undefined;
    };
    await svc.setBootDevice(simTarget(s), 'pxe', false);
    expect(s.bootChanges).toEqual(['Once Pxe']);
    expect(s.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
  });

  it('a boot target the system does not list: GW_ERR_ACTION_NOT_ALLOWED; a boot device with power sets it right before', async () => {
    const s = await sim({ bootTargets: ['None', 'Pxe', 'Hdd'] });
    const svc = service();
    const e = await failure(svc.setBootDevice(simTarget(s), 'bios', false));
    expect(e.code).toBe('GW_ERR_ACTION_NOT_ALLOWED');
    expect(e.message).toContain('BootSourceOverrideTarget BiosSetup for "bios"; it allows: None, Pxe, Hdd');
    await svc.power(simTarget(s), 'on', { bootDevice: { device: 'pxe', persistent: false } });
    const changes = s.requests.filter((r) => r.method === 'PATCH' || (r.method === 'POST' && r.path === s.paths.reset)).map((r) => r.method);
    expect(changes).toEqual(['PATCH', 'POST']);
  });
});

describe('virtual media', () => {
  it("finds the manager's CD (not the USB member listed first), inserts with TransferProtocolType from the scheme, reports, ejects", async () => {
    const s = await sim({ asyncActions: [] });
    const svc = service();
    const t = simTarget(s);
    expect(await svc.mediaStatus(t)).toEqual({ resource: s.paths.cd, inserted: false, image: null, writeProtected: true, connectedVia: 'NotConnected' });
    const r = await svc.insertMedia(t, 'https://images.example/debian-12.iso?sig=secret-signature', MEDIA, 'tester');
    expect(r.media).toEqual({ resource: s.paths.cd, inserted: true, image: 'https://images.example/debian-12.iso', writeProtected: true, connectedVia: 'URI' });
    expect(s.state.media).toMatchObject({ image: 'https://images.example/debian-12.iso?sig=secret-signature', protocol: 'HTTPS', inserted: true });
    const insert = s.requests.find((x) => x.path === s.paths.insert)!;
    expect(insert.body).toEqual({
      Image: 'https://images.example/debian-12.iso?sig=secret-signature',
      Inserted: true,
      WriteProtected: true,
      TransferProtocolType: 'HTTPS',
    });
    // Another image: the CD is ejected first (the simulator, like BMCs, refuses InsertMedia on a full drive).
    const again = await svc.insertMedia(t, 'http://a.mirror.example/x.iso', MEDIA);
    expect(again.note).toBe('ejected https://images.example/debian-12.iso first');
    expect(s.mediaChanges).toEqual(['https://images.example/debian-12.iso?sig=secret-signature', 'eject', 'http://a.mirror.example/x.iso']);
    expect((await svc.ejectMedia(t)).media.inserted).toBe(false);
    expect((await svc.ejectMedia(t)).note).toBe('nothing was inserted');
  });

  it('InsertMedia as a 202 task; an image the BMC cannot fetch is GW_ERR_MEDIA_FETCH_FAILED with its message', async () => {
    const s = await sim({ asyncActions: ['InsertMedia'], unreachableImageHosts: ['images.example'], taskMs: 300 });
    const svc = service();
    const e = await failure(svc.insertMedia(simTarget(s), 'nfs://images.example/srv/debian.iso', MEDIA));
    expect(e.code).toBe('GW_ERR_MEDIA_FETCH_FAILED');
    expect(e.message).toContain('Base.1.8.1.CouldNotEstablishConnection: The service could not connect to nfs://images.example/srv/debian.iso.');
    const ok = await svc.insertMedia(simTarget(s), 'https://x.mirror.example/a.iso', MEDIA);
    expect(ok.media.inserted).toBe(true);
  });

  it('firmware that refuses Inserted/WriteProtected as unknown gets InsertMedia once more without them', async () => {
    const s = await sim({ asyncActions: [], insertFlagsUnknown: true });
    const svc = service();
    expect((await svc.insertMedia(simTarget(s), 'https://images.example/a.iso', MEDIA)).media.inserted).toBe(true);
    expect(
      s.requests
        .filter((x) => x.path === s.paths.insert)
        .map((x) =>
          Object.keys(x.body as object)
            .sort()
            .join(','),
        ),
    ).toEqual(['Image,Inserted,TransferProtocolType,WriteProtected', 'Image,TransferProtocolType']);
  });

  it('refuses hosts outside media.allow, credentials in the URL and odd schemes before the BMC hears of them', async () => {
    const s = await sim();
    const svc = service();
    const cases: [string, typeof MEDIA | undefined, string][] = [
      ['https://elsewhere.example/x.iso', MEDIA, 'GW_ERR_MEDIA_URL_NOT_ALLOWED'],
      ['https://mirror.example/x.iso', MEDIA, 'GW_ERR_MEDIA_URL_NOT_ALLOWED'], // *.mirror.example is not mirror.example
      ['https://images.example.evil/x.iso', MEDIA, 'GW_ERR_MEDIA_URL_NOT_ALLOWED'],
      ['https://images.example/x.iso', undefined, 'GW_ERR_MEDIA_URL_NOT_ALLOWED'],
      ['https://user:pw@images.example/x.iso', MEDIA, 'GW_ERR_BAD_REQUEST'],
      ['file:///etc/passwd', MEDIA, 'GW_ERR_BAD_REQUEST'],
      ['not a url', MEDIA, 'GW_ERR_BAD_REQUEST'],
    ];
    for (const [url, media, code] of cases) expect((await failure(svc.insertMedia(simTarget(s), url, media))).code, url).toBe(code);
    expect(s.requests).toEqual([]);
  });
});

describe('audit hook', () => {
  it('one record per action with who, BMC, what was sent and the outcome; never the password', async () => {
    const s = await sim({ resetTypes: ['On', 'ForceOff'] });
    const events: RedfishAuditEvent[] = [];
    const svc = service((e) => events.push(e));
    await svc.power(simTarget(s), 'cycle', { actor: 'panel' });
    await failure(svc.power(simTarget(s), 'soft', { actor: 'panel' }));
    await svc.setBootDevice(simTarget(s), 'pxe', true, 'panel');
    await failure(svc.insertMedia(simTarget(s), 'https://elsewhere.example/a.iso?token=abc', MEDIA, 'panel'));
    expect(events.map((e) => [e.type, e.detail, e.outcome, e.error?.code])).toEqual([
      ['redfish.power', 'cycle → ForceOff, On', 'ok', undefined],
      ['redfish.power', 'soft', 'error', 'GW_ERR_ACTION_NOT_ALLOWED'],
      ['redfish.bootdev', 'pxe persistent', 'ok', undefined],
      ['redfish.media', 'insert a refused URL', 'error', 'GW_ERR_MEDIA_URL_NOT_ALLOWED'],
    ]);
    expect(events[0]).toMatchObject({ actor: 'panel', host: '127.0.0.1', port: s.port, user: SIM_ADMIN.name });
    expect(JSON.stringify(events)).not.toContain(SIM_ADMIN.password);
    expect(JSON.stringify(events)).not.toContain('token=abc');
  });

  it('an audit hook that throws does not turn a done action into a failure', async () => {
    const s = await sim();
    const svc = service(() => {
      throw new Error('disk full');
    });
    expect((await svc.power(simTarget(s), 'on')).performed).toEqual(['On']);
  });
});
