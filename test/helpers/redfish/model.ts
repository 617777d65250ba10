/**
 * The Redfish simulator's resources, built from its state as JSON in the shapes of the DMTF schemas
 * (ServiceRoot v1_5, ComputerSystem v1_13, Manager v1_10, VirtualMedia v1_3, SessionService v1_1,
 * Session v1_3, TaskService v1_1, Task v1_4, ActionInfo v1_1). Only what a client reads for power,
 * boot override, virtual media, sessions and tasks is here — with `@odata.id`, `@odata.type`, `Id`
 * and `Name` on every resource, as sushy and redfishtool expect.
 */

/** Resource v1 ResetType (the schema's enum, 2025.4): what a system may allow. */
export const ALL_RESET_TYPES = [
  'On',
  'ForceOff',
  'GracefulShutdown',
  'GracefulRestart',
  'ForceRestart',
  'Nmi',
  'ForceOn',
  'PushPowerButton',
  'PowerCycle',
] as const;
/** ComputerSystem BootSource values a typical BMC lists. */
export const DEFAULT_BOOT_TARGETS = ['None', 'Pxe', 'Cd', 'Usb', 'Hdd', 'BiosSetup'] as const;

export interface SimState {
  powerState: 'On' | 'Off' | 'PoweringOn' | 'PoweringOff';
  boot: { enabled: 'Disabled' | 'Once' | 'Continuous'; target: string };
  media: { image: string | null; inserted: boolean; writeProtected: boolean; protocol: string | null };
  /** Bumped on every change of the system; its ETag is W/"<version>". */
  systemVersion: number;
  mediaVersion: number;
}

export interface SimIds {
  system: string;
  manager: string;
}

export interface PublishOptions {
  resetTypes: readonly string[];
  /** How the allowed ResetTypes are published: inline annotation, an ActionInfo resource, or not at all. */
  resetTypesVia: 'inline' | 'actionInfo' | 'none';
  bootTargets: readonly string[];
  sessionService: boolean;
  sessionTimeoutS: number;
}

const ROOT = '/redfish/v1';
export const paths = (ids: SimIds) => ({
  root: `${ROOT}/`,
  systems: `${ROOT}/Systems`,
  system: `${ROOT}/Systems/${ids.system}`,
  reset: `${ROOT}/Systems/${ids.system}/Actions/ComputerSystem.Reset`,
  resetInfo: `${ROOT}/Systems/${ids.system}/ResetActionInfo`,
  managers: `${ROOT}/Managers`,
  manager: `${ROOT}/Managers/${ids.manager}`,
  virtualMedia: `${ROOT}/Managers/${ids.manager}/VirtualMedia`,
  cd: `${ROOT}/Managers/${ids.manager}/VirtualMedia/CD`,
  usb: `${ROOT}/Managers/${ids.manager}/VirtualMedia/USB`,
  insert: `${ROOT}/Managers/${ids.manager}/VirtualMedia/CD/Actions/VirtualMedia.InsertMedia`,
  eject: `${ROOT}/Managers/${ids.manager}/VirtualMedia/CD/Actions/VirtualMedia.EjectMedia`,
  sessionService: `${ROOT}/SessionService`,
  sessions: `${ROOT}/SessionService/Sessions`,
  taskService: `${ROOT}/TaskService`,
  tasks: `${ROOT}/TaskService/Tasks`,
});

const link = (id: string) => ({ '@odata.id': id });

export function serviceRoot(ids: SimIds, o: PublishOptions): Record<string, unknown> {
  const p = paths(ids);
  return {
    '@odata.type': '#ServiceRoot.v1_5_0.ServiceRoot',
    '@odata.id': p.root,
    Id: 'RootService',
    Name: 'Root Service',
    RedfishVersion: '1.11.0',
    UUID: '92384634-2938-2342-8820-489239905423',
    Systems: link(p.systems),
    Managers: link(p.managers),
    Tasks: link(p.taskService),
    ...(o.sessionService ? { SessionService: link(p.sessionService), Links: { Sessions: link(p.sessions) } } : { Links: {} }),
  };
}

export function collection(type: string, id: string, name: string, members: string[]): Record<string, unknown> {
  return { '@odata.type': `#${type}.${type}`, '@odata.id': id, Name: name, Members: members.map(link), 'Members@odata.count': members.length };
}

export function systemEtag(s: SimState): string {
  return `W/"sys-${s.systemVersion}"`;
}

export function computerSystem(ids: SimIds, s: SimState, o: PublishOptions): Record<string, unknown> {
  const p = paths(ids);
  const reset: Record<string, unknown> = { target: p.reset, title: 'Reset' };
  if (o.resetTypesVia === 'inline') reset['ResetType@Redfish.AllowableValues'] = [...o.resetTypes];
  if (o.resetTypesVia === 'actionInfo') reset['@Redfish.ActionInfo'] = p.resetInfo;
  return {
    '@odata.type': '#ComputerSystem.v1_13_0.ComputerSystem',
    '@odata.id': p.system,
    '@odata.etag': systemEtag(s),
    Id: ids.system,
    Name: 'Simulated server',
    SystemType: 'Physical',
    Manufacturer: 'bmc-gateway tests',
    Model: 'Redfish simulator',
    PowerState: s.powerState,
    Status: { State: 'Enabled', Health: 'OK' },
    Boot: {
      BootSourceOverrideEnabled: s.boot.enabled,
      BootSourceOverrideTarget: s.boot.target,
      'BootSourceOverrideTarget@Redfish.AllowableValues': [...o.bootTargets],
      BootSourceOverrideMode: 'UEFI',
    },
    Links: { ManagedBy: [link(p.manager)], Chassis: [] },
    Actions: { '#ComputerSystem.Reset': reset },
  };
}

export function resetActionInfo(ids: SimIds, o: PublishOptions): Record<string, unknown> {
  return {
    '@odata.type': '#ActionInfo.v1_1_2.ActionInfo',
    '@odata.id': paths(ids).resetInfo,
    Id: 'ResetActionInfo',
    Name: 'Reset Action Info',
    Parameters: [{ Name: 'ResetType', Required: true, DataType: 'String', AllowableValues: [...o.resetTypes] }],
  };
}

export function manager(ids: SimIds): Record<string, unknown> {
  const p = paths(ids);
  return {
    '@odata.type': '#Manager.v1_10_0.Manager',
    '@odata.id': p.manager,
    Id: ids.manager,
    Name: 'Simulated BMC',
    ManagerType: 'BMC',
    FirmwareVersion: '1.0.0',
    Status: { State: 'Enabled', Health: 'OK' },
    VirtualMedia: link(p.virtualMedia),
    Links: { ManagerForServers: [link(p.system)] },
    Actions: { '#Manager.Reset': { target: `${p.manager}/Actions/Manager.Reset`, 'ResetType@Redfish.AllowableValues': ['GracefulRestart'] } },
  };
}

export function virtualMediaCd(ids: SimIds, s: SimState): Record<string, unknown> {
  const p = paths(ids);
  return {
    '@odata.type': '#VirtualMedia.v1_3_0.VirtualMedia',
    '@odata.id': p.cd,
    '@odata.etag': `W/"vm-${s.mediaVersion}"`,
    Id: 'CD',
    Name: 'Virtual CD',
    MediaTypes: ['CD', 'DVD'],
    Image: s.media.image,
    ImageName: s.media.image ? s.media.image.split('/').pop() : null,
    Inserted: s.media.inserted,
    WriteProtected: s.media.writeProtected,
    ConnectedVia: s.media.inserted ? 'URI' : 'NotConnected',
    TransferProtocolType: s.media.protocol,
    TransferMethod: 'Stream',
    Actions: {
      '#VirtualMedia.InsertMedia': { target: p.insert, title: 'Insert Media' },
      '#VirtualMedia.EjectMedia': { target: p.eject, title: 'Eject Media' },
    },
  };
}

/** A second member that is not a CD (listed first, so a client must look at MediaTypes). */
export function virtualMediaUsb(ids: SimIds): Record<string, unknown> {
  return {
    '@odata.type': '#VirtualMedia.v1_3_0.VirtualMedia',
    '@odata.id': paths(ids).usb,
    Id: 'USB',
    Name: 'Virtual removable media',
    MediaTypes: ['USBStick', 'Floppy'],
    Image: null,
    Inserted: false,
    WriteProtected: true,
    ConnectedVia: 'NotConnected',
    Actions: {},
  };
}

export function sessionService(ids: SimIds, o: PublishOptions): Record<string, unknown> {
  const p = paths(ids);
  return {
    '@odata.type': '#SessionService.v1_1_8.SessionService',
    '@odata.id': p.sessionService,
    Id: 'SessionService',
    Name: 'Session Service',
    ServiceEnabled: true,
    SessionTimeout: o.sessionTimeoutS,
    Sessions: link(p.sessions),
  };
}

export function session(ids: SimIds, id: string, user: string): Record<string, unknown> {
  return { '@odata.type': '#Session.v1_3_0.Session', '@odata.id': `${paths(ids).sessions}/${id}`, Id: id, Name: `User Session ${id}`, UserName: user };
}

export function taskService(ids: SimIds): Record<string, unknown> {
  const p = paths(ids);
  return {
    '@odata.type': '#TaskService.v1_1_5.TaskService',
    '@odata.id': p.taskService,
    Id: 'TaskService',
    Name: 'Task Service',
    ServiceEnabled: true,
    Tasks: link(p.tasks),
  };
}

export interface SimTask {
  id: string;
  state: 'Running' | 'Completed' | 'Exception';
  percent: number;
  started: string;
  ended: string | undefined;
  messages: unknown[];
}

export function task(ids: SimIds, t: SimTask): Record<string, unknown> {
  const id = `${paths(ids).tasks}/${t.id}`;
  return {
    '@odata.type': '#Task.v1_4_3.Task',
    '@odata.id': id,
    Id: t.id,
    Name: `Task ${t.id}`,
    TaskState: t.state,
    TaskStatus: t.state === 'Exception' ? 'Critical' : 'OK',
    PercentComplete: t.percent,
    StartTime: t.started,
    ...(t.ended ? { EndTime: t.ended } : {}),
    TaskMonitor: `${id}/Monitor`,
    Messages: t.messages,
  };
}
