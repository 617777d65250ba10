import { GatewayError, GatewayErrorCodes } from '../../src/errors.js';
import type { BootDeviceChoice, PowerCommand } from '../../src/ipmi/chassis-commands.js';
import { redfishError } from '../../src/redfish/redfish-errors.js';
import type { RedfishResponse } from '../../src/redfish/redfish-http.js';
import type { RedfishSession } from '../../src/redfish/redfish-session.js';
import { bootOverride, planReset } from '../../src/redfish/reset-plan.js';
import {
  parseActionInfoAllowed,
  parseComputerSystem,
  parseManagerVirtualMedia,
  parseMembers,
  parseServiceRoot,
  parseTask,
  parseVirtualMedia,
} from '../../src/redfish/resources.js';
import { followTask } from '../../src/redfish/task-monitor.js';
import { jsonSeed, jsonVariant } from '../json-variant.js';
import type { FuzzTarget } from '../types.js';

/** A GatewayError whose code is one docs/errors.md lists (a code that is not one is a bug too). */
export const isGatewayError = (err: unknown): boolean => err instanceof GatewayError && Object.hasOwn(GatewayErrorCodes, err.code);

const POWER: readonly PowerCommand[] = ['on', 'off', 'soft', 'cycle', 'reset'];
const BOOT: readonly BootDeviceChoice[] = ['pxe', 'disk', 'cdrom', 'bios'];

/**
 * Answers as iDRAC, iLO and OpenBMC's bmcweb shape them (DMTF schemas; the property sets the unit
 * tests of src/redfish use), one of each resource the gateway reads.
 */
const SEEDS: unknown[] = [
  {
    '@odata.type': '#ServiceRoot.v1_15_0.ServiceRoot',
    '@odata.id': '/redfish/v1',
    RedfishVersion: '1.17.0',
    Vendor: 'OpenBMC',
    Product: 'bmcweb',
    Systems: { '@odata.id': '/redfish/v1/Systems' },
    SessionService: { '@odata.id': '/redfish/v1/SessionService' },
    Links: { Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' }, ManagerProvidingService: { '@odata.id': '/redfish/v1/Managers/bmc' } },
    Oem: { Dell: {} },
  },
  { '@odata.id': '/redfish/v1/Systems', Members: [{ '@odata.id': '/redfish/v1/Systems/System.Embedded.1' }], 'Members@odata.count': 1 },
  {
    '@odata.type': '#ComputerSystem.v1_13_0.ComputerSystem',
    '@odata.id': '/redfish/v1/Systems/system',
    PowerState: 'On',
    Actions: {
      '#ComputerSystem.Reset': {
        target: '/redfish/v1/Systems/system/Actions/ComputerSystem.Reset',
        '@Redfish.ActionInfo': '/redfish/v1/Systems/system/ResetActionInfo',
        'ResetType@Redfish.AllowableValues': ['On', 'ForceOff', 'GracefulShutdown', 'GracefulRestart', 'ForceRestart', 'PowerCycle', 'Nmi'],
      },
    },
    Boot: {
      BootSourceOverrideEnabled: 'Disabled',
      BootSourceOverrideTarget: 'None',
      'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe', 'Hdd', 'Cd', 'BiosSetup'],
      'BootSourceOverrideEnabled@Redfish.AllowableValues': ['Once', 'Continuous', 'Disabled'],
    },
    Links: { ManagedBy: [{ '@odata.id': '/redfish/v1/Managers/bmc' }] },
    VirtualMedia: { '@odata.id': '/redfish/v1/Systems/system/VirtualMedia' },
  },
  {
    '@odata.type': '#ActionInfo.v1_1_2.ActionInfo',
    Parameters: [{ Name: 'ResetType', Required: true, DataType: 'String', AllowableValues: ['On', 'ForceOff', 'ForceRestart'] }],
  },
  { '@odata.type': '#Manager.v1_11_0.Manager', VirtualMedia: { '@odata.id': '/redfish/v1/Managers/1/VirtualMedia' } },
  {
    '@odata.type': '#VirtualMedia.v1_3_0.VirtualMedia',
    Id: 'CD',
    MediaTypes: ['CD', 'DVD'],
    Image: '',
    Inserted: false,
    WriteProtected: true,
    ConnectedVia: 'NotConnected',
    Actions: {
      '#VirtualMedia.InsertMedia': { target: '/redfish/v1/Managers/1/VirtualMedia/CD/Actions/VirtualMedia.InsertMedia' },
      '#VirtualMedia.EjectMedia': { target: '/redfish/v1/Managers/1/VirtualMedia/CD/Actions/VirtualMedia.EjectMedia' },
    },
  },
  {
    '@odata.type': '#Task.v1_4_3.Task',
    '@odata.id': '/redfish/v1/TaskService/Tasks/1',
    TaskState: 'Exception',
    TaskStatus: 'Critical',
    PercentComplete: 100,
    TaskMonitor: '/redfish/v1/TaskService/Tasks/1/Monitor',
    Messages: [{ MessageId: 'Base.1.8.1.CouldNotEstablishConnection', Message: 'could not reach the image' }],
  },
  {
    error: {
      code: 'Base.1.8.1.GeneralError',
      message: 'A general error has occurred.',
      '@Message.ExtendedInfo': [
        { MessageId: 'Base.1.8.1.ActionParameterValueNotInList', Message: 'The value ForceOn for ResetType is not in the list of acceptable values.' },
      ],
    },
  },
];

/** What a task monitor answer looks like to the follower: 202 with the body, no Retry-After wait (the deadline is now). */
const monitorOnly = { request: async (): Promise<RedfishResponse> => ({ status: 404, headers: {}, body: undefined }) } as unknown as RedfishSession;

/** Redfish answers (iDRAC, iLO, bmcweb …) as the gateway's Redfish client reads them. */
export const redfishJson: FuzzTarget = {
  name: 'redfish-json',
  description:
    'Redfish JSON answers: service root, collections, ComputerSystem, ActionInfo, Manager, VirtualMedia, Task and task monitor, error bodies → codes; reset and boot plans from the allowed values',
  coverage: ['/src/redfish/'],
  seeds: () => SEEDS.map(jsonSeed),
  async run(input) {
    const v = jsonVariant(input);
    const status = [200, 202, 400, 401, 403, 404, 409, 500, 503][(input[0] ?? 0) % 9]!;
    const res: RedfishResponse =
      v.kind === 'json' ? { status, headers: {}, body: v.value } : { status, headers: {}, body: undefined, notJson: v.text.slice(0, 120) };
    const out: string[] = [];
    // Every reader sees every answer: a wrong-type property must be a GatewayError wherever it lands.
    const step = (name: string, f: () => unknown) => {
      try {
        const r = f();
        out.push(`${name}:${r === undefined ? 'u' : 'v'}`);
      } catch (err) {
        if (!isGatewayError(err)) throw err;
        out.push(`${name}:${(err as GatewayError).code}`);
      }
    };
    const body = res.body;
    step('root', () => parseServiceRoot(body, 'https://bmc'));
    step('members', () => parseMembers(body, 'Systems'));
    step('system', () => {
      const s = parseComputerSystem(body, '/redfish/v1/Systems/1');
      planReset(POWER[(input[0] ?? 0) % POWER.length]!, s.resetAllowed);
      return bootOverride(BOOT[(input[0] ?? 0) % BOOT.length]!, ((input[0] ?? 0) & 1) === 1, {
        targets: s.boot?.targetAllowed,
        enabled: s.boot?.enabledAllowed,
      });
    });
    step('actioninfo', () => parseActionInfoAllowed(body, 'ResetType', '/redfish/v1/Systems/1/ResetActionInfo'));
    step('manager', () => parseManagerVirtualMedia(body, '/redfish/v1/Managers/1'));
    step('vmedia', () => parseVirtualMedia(body, '/redfish/v1/Managers/1/VirtualMedia/CD'));
    step('task', () => parseTask(body, '/redfish/v1/TaskService/Tasks/1'));
    step('error', () => redfishError(res, 'fuzz'));
    try {
      await followTask(monitorOnly, { ...res, status: 202 }, 'fuzz', Date.now());
      out.push('follow:done');
    } catch (err) {
      if (!isGatewayError(err)) throw err;
      out.push(`follow:${(err as GatewayError).code}`);
    }
    return out.join(' ');
  },
  expected: isGatewayError,
};
