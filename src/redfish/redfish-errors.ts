import { GatewayError, type GatewayErrorCode } from '../errors.js';
import { cleanText, isObject } from './redfish-json.js';
import type { RedfishResponse } from './redfish-http.js';
import { parseMessages } from './resources.js';

/**
 * Redfish errors (DSP0266 "Error responses": `{"error":{"code","message","@Message.ExtendedInfo":
 * [Message…]}}`) → the gateway's codes. The key is the message key of the MessageId: its last
 * dot-separated part, so `Base.1.8.1.ActionParameterValueNotInList` and a BMC's own
 * `Base.1.18.ActionParameterValueNotInList` map alike. Keys are the DMTF Base message registry's.
 * docs/errors.md lists this table (a test checks it).
 */
export const REDFISH_MESSAGE_CODES: Readonly<Record<string, GatewayErrorCode>> = Object.freeze({
  // the value or action is not one this BMC (or this resource) allows
  ActionNotSupported: 'GW_ERR_ACTION_NOT_ALLOWED',
  ActionParameterNotSupported: 'GW_ERR_ACTION_NOT_ALLOWED',
  ActionParameterValueNotInList: 'GW_ERR_ACTION_NOT_ALLOWED',
  PropertyValueNotInList: 'GW_ERR_ACTION_NOT_ALLOWED',
  PropertyNotWritable: 'GW_ERR_ACTION_NOT_ALLOWED',
  OperationNotAllowed: 'GW_ERR_ACTION_NOT_ALLOWED',
  // credentials
  NoValidSession: 'GW_ERR_BMC_AUTH_FAILED',
  AccessUnauthorized: 'GW_ERR_BMC_AUTH_FAILED',
  AuthenticationTokenRequired: 'GW_ERR_BMC_AUTH_FAILED',
  PasswordChangeRequired: 'GW_ERR_BMC_AUTH_FAILED',
  AccountForSessionNoLongerExists: 'GW_ERR_BMC_AUTH_FAILED',
  // privilege
  InsufficientPrivilege: 'GW_ERR_BMC_FORBIDDEN',
  AccessForbidden: 'GW_ERR_BMC_FORBIDDEN',
  RestrictedRole: 'GW_ERR_BMC_FORBIDDEN',
  RestrictedPrivilege: 'GW_ERR_BMC_FORBIDDEN',
  // a resource that is not there
  ResourceMissingAtURI: 'GW_ERR_REDFISH_NOT_FOUND',
  ResourceNotFound: 'GW_ERR_REDFISH_NOT_FOUND',
  InvalidURI: 'GW_ERR_REDFISH_NOT_FOUND',
  // busy, transient
  ResourceInUse: 'GW_ERR_BMC_BUSY',
  ServiceTemporarilyUnavailable: 'GW_ERR_BMC_BUSY',
  ResourceInStandby: 'GW_ERR_BMC_BUSY',
  SessionLimitExceeded: 'GW_ERR_BMC_BUSY',
  ServiceShuttingDown: 'GW_ERR_BMC_BUSY',
  ResourceExhaustion: 'GW_ERR_BMC_BUSY',
  // the resource's state forbids the change
  PreconditionFailed: 'GW_ERR_BMC_CONFLICT',
  PropertyValueConflict: 'GW_ERR_BMC_CONFLICT',
  PropertyValueResourceConflict: 'GW_ERR_BMC_CONFLICT',
  ActionParameterValueConflict: 'GW_ERR_BMC_CONFLICT',
  ChassisPowerStateOnRequired: 'GW_ERR_BMC_CONFLICT',
  ChassisPowerStateOffRequired: 'GW_ERR_BMC_CONFLICT',
  LicenseRequired: 'GW_ERR_BMC_LICENSE_REQUIRED',
  // the BMC could not fetch a virtual media image
  CouldNotEstablishConnection: 'GW_ERR_MEDIA_FETCH_FAILED',
  AccessDenied: 'GW_ERR_MEDIA_FETCH_FAILED',
  ResourceAtUriUnauthorized: 'GW_ERR_MEDIA_FETCH_FAILED',
  ResourceAtUriInUnknownFormat: 'GW_ERR_MEDIA_FETCH_FAILED',
  SourceDoesNotSupportProtocol: 'GW_ERR_MEDIA_FETCH_FAILED',
  // the BMC failed inside
  InternalError: 'GW_ERR_BMC_FAILED',
  OperationFailed: 'GW_ERR_BMC_FAILED',
  OperationTimeout: 'GW_ERR_BMC_FAILED',
  UndeterminedFault: 'GW_ERR_BMC_FAILED',
  ServiceInUnknownState: 'GW_ERR_BMC_FAILED',
});

/** When no MessageId is known: the code for the HTTP status. */
function codeForStatus(status: number): GatewayErrorCode {
  if (status === 401) return 'GW_ERR_BMC_AUTH_FAILED';
  if (status === 403) return 'GW_ERR_BMC_FORBIDDEN';
  if (status === 404 || status === 410) return 'GW_ERR_REDFISH_NOT_FOUND';
  if (status === 405 || status === 501) return 'GW_ERR_ACTION_NOT_ALLOWED';
  if (status === 409 || status === 412) return 'GW_ERR_BMC_CONFLICT';
  if (status === 503 || status === 429) return 'GW_ERR_BMC_BUSY';
  if (status >= 500) return 'GW_ERR_BMC_FAILED';
  return 'GW_ERR_BMC_REJECTED';
}

/** The message key of a MessageId (`Base.1.8.1.PropertyUnknown` → `PropertyUnknown`). */
export function messageKey(messageId: string): string {
  const parts = messageId.split('.');
  return parts[parts.length - 1] ?? messageId;
}

/** The messages of an error body: `@Message.ExtendedInfo`, else `error.code` / `error.message`. */
export function errorMessages(body: unknown): { id: string; message: string }[] {
  if (!isObject(body) || !isObject(body.error)) return [];
  const e = body.error;
  const extended = parseMessages(e['@Message.ExtendedInfo'], 'error');
  if (extended.length > 0) return extended;
  const id = typeof e.code === 'string' ? e.code.slice(0, 200) : '';
  const message = typeof e.message === 'string' ? e.message : '';
  return id || message ? [{ id, message }] : [];
}

/**
 * The error for a Redfish answer that is not a success: the code of the first message whose
 * MessageId we know (else of the HTTP status), and a message saying what we did, the status, and the
 * BMC's own MessageIds and messages (never a header or a request body).
 */
export function redfishError(
  res: RedfishResponse,
  doing: string,
  messages: readonly { readonly id: string; readonly message: string }[] = errorMessages(res.body),
): GatewayError {
  let code: GatewayErrorCode | undefined;
  for (const m of messages) {
    // Own keys only: a MessageId ending in ".constructor" or ".toString" (the BMC's text) must not find
    // Object.prototype's members, which became a TypeError in GatewayError (fuzz/regressions/redfish-json/).
    const key = messageKey(m.id);
    code = Object.hasOwn(REDFISH_MESSAGE_CODES, key) ? REDFISH_MESSAGE_CODES[key] : undefined;
    if (code) break;
  }
  // 401 is always the credentials, whatever message comes with it.
  if (res.status === 401) code = 'GW_ERR_BMC_AUTH_FAILED';
  code ??= codeForStatus(res.status);
  const said = messages
    .slice(0, 3)
    .map((m) => (m.id ? `${cleanText(m.id, 100)}: ${cleanText(m.message)}` : cleanText(m.message)))
    .join('; ');
  const text = said || (res.notJson ? `a non-JSON answer "${res.notJson}"` : 'no error message');
  return new GatewayError(code, `${doing}: the BMC answered HTTP ${res.status}, ${text}`, {
    details: { status: res.status, messageIds: messages.map((m) => m.id) },
  });
}
