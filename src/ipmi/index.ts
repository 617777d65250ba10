/**
 * The IPMI services the API routes and the CLI call (issue 5). Everything is a class or a function
 * with its own state: no globals; IpmiService.close() / IpmiSession.close() / SolConnection.close()
 * release every socket and timer.
 */
export { IpmiService } from './ipmi-service.js';
export type { IpmiAudit, IpmiAuditEvent, IpmiServiceOptions, PowerOptions, PowerStatus } from './ipmi-service.js';
export { IpmiSession } from './ipmi-session.js';
export type { RequestOptions } from './ipmi-session.js';
export { IpmiSessionRegistry } from './session-registry.js';
export type { IpmiSessionRegistryOptions } from './session-registry.js';
export { SolConnection } from './sol-connection.js';
export type { SolCloseReason, SolOptions } from './sol-connection.js';
export { BOOT_DEVICES, POWER_COMMANDS, chassisControl, getChassisStatus, setBootDevice } from './chassis-commands.js';
export type { BootDeviceChoice, PowerCommand } from './chassis-commands.js';
export { resolveTarget } from './target.js';
export { ipmiTargetOf } from './config-target.js';
export { EscapeReader, ipmiCommand, IPMI_USAGE } from './ipmi-cli.js';
export type { CliIo } from './ipmi-cli.js';
export { describeTarget, silentLogger } from './types.js';
export type { IpmiLogger, IpmiSessionOptions, IpmiTarget } from './types.js';
export { DEFAULT_CIPHER_SUITES } from '../../protocols/ipmi/cipher-suites.js';
export { IpmiCompletionCodeError, describeCompletionCode } from '../../protocols/ipmi/completion-codes.js';
export type { ChassisStatus } from '../../protocols/ipmi/chassis.js';
