/**
 * The shapes of the JSON answers the browser pages read, shared by the routes that build them
 * (annotated with these types, so the compiler checks the server side) and the pages in web/src
 * (which import them as types). This file imports nothing: the pages' type-check (web/tsconfig.json,
 * DOM lib, no Node types) reads it as it is.
 */

/** Why a console or serial console ended (close URL `code`); the pages translate these. */
export type SessionEndCode = 'idle' | 'input-idle' | 'lifetime' | 'api' | 'bmc-unreachable' | 'viewer-exited' | 'shutdown' | 'config-changed' | 'worker-crash';

/** `{"error":{"code","message"}}` of every failed REST call. */
export interface ApiErrorBody {
  error: { code: string; message: string };
}

/** `GET /api/v1/viewer/:key/status`: how the console behind a page key is doing. */
export interface ViewerStatus {
  state: 'connecting' | 'connected' | 'reconnecting' | 'ended';
  /** The server's name (its id when it has none). */
  server?: string;
  viewOnly: boolean;
  warning: string | null;
  /** The input-idle warning as a code, so the page can say it in its own language. */
  warningCode: 'input-idle' | null;
  reason: string | null;
  /** Why it ended, when it has: the page translates this; `reason` keeps the details (the BMC's words). */
  code: SessionEndCode | null;
}

/** `GET /api/v1/sol-viewer/:key/status`. */
export interface SolViewerStatus {
  state: 'idle' | 'activating' | 'active' | 'ended';
  server?: string;
  reason: string | null;
  code: SessionEndCode | null;
}

/** `GET /api/v1/whoami`. */
export interface WhoAmI {
  kind: 'operator' | 'token';
  name: string;
}

/** Console kinds (`servers[].console.type`). */
export type ConsoleKind = 'vnc' | 'aten' | 'openbmc' | 'jnlp';

/** One entry of `GET /api/v1/servers`. */
export interface ServerSummary {
  id: string;
  name: string | null;
  location: string | null;
  /** true when the server has a KVM console. */
  console: boolean;
  consoleType: ConsoleKind | null;
  /** The protocol of power and boot device, or null without either. */
  power: 'ipmi' | 'redfish' | null;
  ipmi: boolean;
  redfish: boolean;
  /** A serial console can be opened (IPMI SOL, or OpenBMC's console0). */
  sol: boolean;
  media: boolean;
  /** Sessions of this server are recorded (operators can replay them). */
  recorded: boolean;
}

export interface ServersAnswer {
  servers: ServerSummary[];
}

export interface SessionViewerView {
  id: string;
  viewOnly: boolean;
  queuedBytes?: number;
}

/** A KVM console session (REST `GET /api/v1/sessions[/:id]`). */
export interface SessionView {
  id: string;
  serverId: string;
  serverName: string | null;
  location: string | null;
  state: 'connecting' | 'connected' | 'reconnecting' | 'ended';
  /** What serves the console: vnc, aten, openbmc or jnlp (a Java viewer). */
  source: string;
  /** Why an aten console went to the Java fallback, or null. */
  fallback: { from: string; code: string; reason: string } | null;
  createdAt: string;
  width: number;
  height: number;
  ageSeconds: number;
  viewers: SessionViewerView[];
  closeUrls: string[];
  bytesIn: number;
  bytesOut: number;
  /** Rectangles received from the BMC so far: grows when the screen changes (thumbnails follow it). */
  screenUpdates: number;
  lastInputAt: string | null;
  reconnects: number;
  warning: string | null;
  endReason: string | null;
}

export interface SessionsAnswer {
  sessions: SessionView[];
  /** Agents that did not answer in time (dispatch). */
  unreachable?: string[];
}

/** `POST /api/v1/sessions`. */
export interface OpenSessionAnswer extends SessionView {
  url: string;
  joined: boolean;
}

/** A serial console session (`GET /api/v1/sol-sessions`). */
export interface SolSessionView {
  id: string;
  serverId: string;
  serverName: string | null;
  location: string | null;
  type: 'sol';
  state: 'idle' | 'activating' | 'active' | 'ended';
  createdAt: string;
  viewers: number;
  closeUrls: string[];
  bytesToBmc: number;
  bytesFromBmc: number;
  endReason: string | null;
}

export interface SolSessionsAnswer {
  sessions: SolSessionView[];
}

/** `POST /api/v1/servers/:id/sol`. */
export interface OpenSolAnswer {
  id: string;
  serverId: string;
  location: string | null;
  type: 'sol';
  url: string;
  joined: boolean;
}

export type PowerAction = 'on' | 'off' | 'soft' | 'cycle' | 'reset';
export type BootDevice = 'pxe' | 'disk' | 'cdrom' | 'bios';

/** `GET /api/v1/servers/:id/power`. */
export interface PowerStatusAnswer {
  serverId: string;
  power: 'on' | 'off';
  protocol?: 'redfish';
  /** Redfish's PowerState (On, Off, PoweringOn, PoweringOff, Paused). */
  powerState?: string;
}

/** `POST /api/v1/servers/:id/power`. */
export interface PowerActionAnswer {
  serverId: string;
  action: PowerAction;
  bootDevice: { device: BootDevice; persistent: boolean } | null;
  result: 'ok';
  protocol?: 'redfish';
  performed?: string[];
  note?: string;
}

/** `POST /api/v1/servers/:id/bootdev`. */
export interface BootDeviceAnswer {
  serverId: string;
  bootDevice: { device: BootDevice; persistent: boolean };
  result: 'ok';
  protocol?: 'redfish';
}

export interface AgentView {
  id: string;
  location: string;
  url: string;
  version: string;
  /** Live sessions on the agent. */
  load: number;
  at: number;
  lastSeenMs: number;
}

/** `GET /api/v1/agents`. */
export interface AgentsAnswer {
  dispatch: 'in-process' | 'front' | 'agent' | 'both';
  broker: 'up' | 'down' | null;
  agents: AgentView[];
}

/** One entry of `GET /api/v1/recordings`. */
export interface RecordingInfo {
  id: string;
  serverId: string;
  /** The server's name in this gateway's configuration (null without one, or when it is no longer configured). */
  serverName: string | null;
  startedAt: string;
  bytes: number;
  inputBytes: number;
  /** Still being written by a live session. */
  live: boolean;
  /** Set when the gateway died while this recording was open: the file ends where the crash cut it. */
  cutShort: string | null;
}

export interface RecordingsAnswer {
  recordings: RecordingInfo[];
}

/** `GET /api/v1/recordings/:id`. */
export interface RecordingDetail extends RecordingInfo {
  durationMs: number;
  blocks: number;
  /** Why the file ends early (e.g. after a crash), or null. */
  truncated: string | null;
}

/** `POST /api/v1/recordings/:id/replay`. */
export interface ReplayAnswer {
  ws: string;
}

/** The power state the dashboard's monitor last read from a server's BMC. */
export interface PowerReading {
  serverId: string;
  /** null when the last read failed. */
  power: 'on' | 'off' | null;
  powerState?: string;
  /** ISO time of the read. */
  at: string;
  error?: { code: string; message: string };
}

/** An API action on a BMC or a session, as the dashboard's activity list shows it. */
export interface ActivityEntry {
  at: string;
  who: string;
  serverId: string;
  /** eq.php action and command: `ipmi_power cycle`, `ipmi_bootdev pxe`, `novnc`, `sol`, … */
  action: string;
  result: 'ok' | 'error';
  code?: string;
  message?: string;
}

/**
 * The dashboard's live feed, `GET /api/v1/fleet/events` (server-sent events; the event name is
 * `type`, the data the rest as JSON). On connect the stream sends `servers`, `sessions`,
 * `sol-sessions`, `agents`, every known `power` reading and the recent `activity`, then changes.
 */
export type FleetEvent =
  | { type: 'servers'; servers: ServerSummary[] }
  | { type: 'sessions'; sessions: SessionView[]; unreachable: string[] }
  | { type: 'sol-sessions'; sessions: SolSessionView[] }
  | { type: 'agents'; agents: AgentsAnswer }
  | { type: 'power'; reading: PowerReading }
  | { type: 'activity'; entries: ActivityEntry[] };
