import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../../src/errors.js';
import { checkPath } from '../../../../src/redfish/redfish-json.js';
import {
  parseActionInfoAllowed,
  parseComputerSystem,
  parseMembers,
  parseServiceRoot,
  parseTask,
  parseVirtualMedia,
} from '../../../../src/redfish/resources.js';
import { prng } from '../../../helpers/prng.js';

// Resource bodies written by hand from the DMTF schemas (not from our simulator), including the
// shapes real firmware sends that the schema does not promise.

describe('Redfish resources', () => {
  it('the service root: Links.Sessions, Systems; not Redfish → GW_ERR_NOT_REDFISH', () => {
    expect(
      parseServiceRoot(
        {
          RedfishVersion: '1.6.0',
          Systems: { '@odata.id': '/redfish/v1/Systems' },
          Links: { Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' } },
        },
        'https://bmc',
      ),
    ).toEqual({
      redfishVersion: '1.6.0',
      systems: '/redfish/v1/Systems',
      sessionService: undefined,
      sessions: '/redfish/v1/SessionService/Sessions',
      vendor: undefined,
      product: undefined,
      oem: [],
      managerProvidingService: undefined,
    });
    // bmcweb's root (redfish-core/lib/service_root.hpp) and a vendor's, for the probe.
    expect(
      parseServiceRoot({ RedfishVersion: '1.17.0', Links: { ManagerProvidingService: { '@odata.id': '/redfish/v1/Managers/bmc' } } }, 'x')
        .managerProvidingService,
    ).toBe('/redfish/v1/Managers/bmc');
    expect(
      parseServiceRoot(
        { RedfishVersion: '1.11.0', Vendor: 'Dell', Product: 'Integrated Dell Remote Access Controller', Oem: { '@odata.type': 'x', Dell: {} } },
        'x',
      ),
    ).toMatchObject({ vendor: 'Dell', product: 'Integrated Dell Remote Access Controller', oem: ['Dell'] });
    expect(parseServiceRoot({ '@odata.type': '#ServiceRoot.v1_0_0.ServiceRoot' }, 'x').systems).toBeUndefined();
    for (const notRoot of [null, [], 'html', { hello: 'world' }, { '@odata.type': '#Manager.v1_0_0.Manager' }]) {
      expect(() => parseServiceRoot(notRoot, 'https://bmc')).toThrow(expect.objectContaining({ code: 'GW_ERR_NOT_REDFISH' }));
    }
  });

  it('a ComputerSystem as iDRAC and OpenBMC write it (AllowableValues inline or an ActionInfo)', () => {
    const idrac = {
      '@odata.type': '#ComputerSystem.v1_12_0.ComputerSystem',
      PowerState: 'On',
      Boot: {
        BootSourceOverrideEnabled: 'Disabled',
        BootSourceOverrideTarget: 'None',
        'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe', 'Hdd', 'BiosSetup'],
      },
      Links: { ManagedBy: [{ '@odata.id': '/redfish/v1/Managers/iDRAC.Embedded.1' }] },
      Actions: {
        '#ComputerSystem.Reset': {
          target: '/redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset',
          'ResetType@Redfish.AllowableValues': ['On', 'ForceOff'],
        },
      },
    };
    expect(parseComputerSystem(idrac, '/redfish/v1/Systems/System.Embedded.1')).toMatchObject({
      powerState: 'On',
      resetAllowed: ['On', 'ForceOff'],
      resetActionInfo: undefined,
      boot: { targetAllowed: ['None', 'Pxe', 'Hdd', 'BiosSetup'] },
      managedBy: ['/redfish/v1/Managers/iDRAC.Embedded.1'],
    });
    const bmcweb = {
      PowerState: 'Off',
      Actions: {
        '#ComputerSystem.Reset': {
          target: '/redfish/v1/Systems/system/Actions/ComputerSystem.Reset',
          '@Redfish.ActionInfo': '/redfish/v1/Systems/system/ResetActionInfo',
        },
      },
    };
    expect(parseComputerSystem(bmcweb, '/redfish/v1/Systems/system')).toMatchObject({
      resetAllowed: undefined,
      resetActionInfo: '/redfish/v1/Systems/system/ResetActionInfo',
      boot: undefined,
      managedBy: [],
    });
    expect(
      parseActionInfoAllowed({ Parameters: [{ Name: 'Other' }, { Name: 'ResetType', AllowableValues: ['On', 'GracefulShutdown'] }] }, 'ResetType', '/x'),
    ).toEqual(['On', 'GracefulShutdown']);
    expect(() => parseComputerSystem({ '@odata.type': '#Chassis.v1_0_0.Chassis' }, '/redfish/v1/Chassis/1')).toThrow(
      expect.objectContaining({ code: 'GW_ERR_REDFISH_NOT_FOUND' }),
    );
  });

  it('VirtualMedia: an empty Image string means nothing inserted', () => {
    const vm = parseVirtualMedia(
      {
        Id: 'CD1',
        MediaTypes: ['CD', 'DVD'],
        Image: '',
        Inserted: false,
        Actions: { '#VirtualMedia.InsertMedia': { target: '/redfish/v1/Managers/1/VirtualMedia/CD1/Actions/VirtualMedia.InsertMedia' } },
      },
      '/redfish/v1/Managers/1/VirtualMedia/CD1',
    );
    expect(vm).toMatchObject({ image: undefined, inserted: false, mediaTypes: ['CD', 'DVD'], ejectTarget: undefined });
    expect(vm.insertTarget).toBe('/redfish/v1/Managers/1/VirtualMedia/CD1/Actions/VirtualMedia.InsertMedia');
  });

  it('a Task, and what is not one', () => {
    expect(
      parseTask(
        {
          '@odata.type': '#Task.v1_4_3.Task',
          TaskState: 'Exception',
          TaskStatus: 'Critical',
          PercentComplete: 100,
          Messages: [{ MessageId: 'Base.1.8.1.CouldNotEstablishConnection', Message: 'no' }],
        },
        'm',
      ),
    ).toEqual({
      state: 'Exception',
      status: 'Critical',
      percent: 100,
      monitor: undefined,
      messages: [{ id: 'Base.1.8.1.CouldNotEstablishConnection', message: 'no' }],
    });
    expect(parseTask({ Members: [] }, 'm')).toBeUndefined();
    expect(parseTask(undefined, 'm')).toBeUndefined();
  });

  it('paths: kept only under /redfish/v1, absolute URLs reduced to their path, no ..', () => {
    expect(checkPath('/redfish/v1/Systems/1', 'p')).toBe('/redfish/v1/Systems/1');
    expect(checkPath('https://10.0.0.9:443/redfish/v1/TaskService/Tasks/JID_1', 'p')).toBe('/redfish/v1/TaskService/Tasks/JID_1');
    for (const bad of [
      '/etc/passwd',
      'redfish/v1/x',
      '/redfish/v1/../../etc',
      '/redfish/v1/a b',
      '//evil.example/redfish/v1',
      `/redfish/v1/${'a'.repeat(2000)}`,
      'javascript:alert(1)',
    ]) {
      expect(() => checkPath(bad, 'p'), bad).toThrow(expect.objectContaining({ code: 'GW_ERR_BMC_PROTOCOL' }));
    }
    expect(parseMembers({ Members: [{ '@odata.id': '/redfish/v1/Systems/1' }] }, 'c')).toEqual(['/redfish/v1/Systems/1']);
  });

  it('fuzz: random JSON never throws anything but GatewayError', () => {
    const rnd = prng(13);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const keys = [
      'PowerState',
      'Actions',
      '#ComputerSystem.Reset',
      'target',
      'ResetType@Redfish.AllowableValues',
      '@Redfish.ActionInfo',
      'Boot',
      'Links',
      'ManagedBy',
      'Members',
      '@odata.id',
      'MediaTypes',
      'Image',
      'Inserted',
      'TaskState',
      'Messages',
      'RedfishVersion',
      'Parameters',
      'Name',
      'AllowableValues',
      'VirtualMedia',
      'TaskMonitor',
    ];
    const value = (depth: number): unknown => {
      const r = rnd();
      if (depth > 4 || r < 0.3) return pick([null, true, 0, -1, 1e308, '', 'On', '/redfish/v1/x', '/etc', 'x'.repeat(3000), '#Task.v1']);
      if (r < 0.55) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rnd() * 5); i > 0; i--) o[pick(keys)] = value(depth + 1);
      return o;
    };
    const parsers = [
      (v: unknown) => parseServiceRoot(v, 'x'),
      (v: unknown) => parseComputerSystem(v, '/redfish/v1/Systems/1'),
      (v: unknown) => parseVirtualMedia(v, '/redfish/v1/Managers/1/VirtualMedia/CD'),
      (v: unknown) => parseTask(v, 'x'),
      (v: unknown) => parseMembers(v, 'x'),
      (v: unknown) => parseActionInfoAllowed(v, 'ResetType', '/x'),
    ];
    for (let i = 0; i < 3000; i++) {
      const v = value(0);
      for (const parse of parsers) {
        try {
          parse(v);
        } catch (err) {
          if (!(err instanceof GatewayError)) throw new Error(`${String(err)} for ${JSON.stringify(v).slice(0, 300)}`);
        }
      }
    }
  });
});
