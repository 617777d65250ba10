/**
 * Redfish (issue 13): power, boot override and virtual media for BMCs whose management API is
 * Redfish (iDRAC 9, iLO 5/6, Supermicro X12/X13, OpenBMC, Lenovo XCC). `RedfishSession` is the
 * small reusable login (SessionService token, refreshed on 401, DELETE on logout; Basic where
 * there is no SessionService); `RedfishClient` reads and drives one server's resources;
 * `RedfishService` is what the API and the CLI call.
 */
export { RedfishSession } from './redfish-session.js';
export type { RedfishAuthMode, RedfishEndpoint } from './redfish-session.js';
export { sendRedfish } from './redfish-http.js';
export type { RedfishRequest, RedfishResponse } from './redfish-http.js';
export { RedfishClient } from './redfish-client.js';
export { RedfishService } from './redfish-service.js';
export type { MediaState, RedfishAudit, RedfishAuditEvent, RedfishPowerResult, RedfishPowerStatus, RedfishServiceOptions } from './redfish-service.js';
export { REDFISH_MESSAGE_CODES, redfishError } from './redfish-errors.js';
export { BOOT_TARGET_FOR, planReset, RESET_TYPE_FOR } from './reset-plan.js';
export { checkMediaUrl, hostAllowed, TRANSFER_PROTOCOL_FOR } from './media-url.js';
export { followTask, pollDelay } from './task-monitor.js';
export { REDFISH_LIMITS } from './redfish-json.js';
export type { MediaConfig, PowerProtocol, RedfishConfig } from './redfish-config.js';
