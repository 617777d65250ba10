/**
 * The Redfish simulator's error answers (DSP0266 "Error responses"): `{"error":{"code","message",
 * "@Message.ExtendedInfo":[Message]}}` with MessageIds of the DMTF Base message registry (version
 * 1.8.1, the one bmcweb and iDRAC 9 firmware of recent years send). The keys and argument counts are
 * the registry's; the sentences are ours, in the registry's spirit.
 */
export const BASE_REGISTRY = 'Base.1.8.1';

const TEMPLATES: Record<string, { severity: 'OK' | 'Warning' | 'Critical'; text: (a: string[]) => string; resolution: string }> = {
  Success: { severity: 'OK', text: () => 'Successfully completed the request.', resolution: 'None' },
  GeneralError: { severity: 'Critical', text: () => 'A general error has occurred; see the extended information.', resolution: 'None' },
  NoValidSession: {
    severity: 'Critical',
    text: () => 'There is no valid session for this request.',
    resolution: 'Log in (POST to the Sessions collection) or send credentials.',
  },
  ResourceAtUriUnauthorized: { severity: 'Critical', text: (a) => `Access to ${a[0]} was refused: ${a[1]}.`, resolution: 'Check the user name and password.' },
  InsufficientPrivilege: {
    severity: 'Critical',
    text: () => 'The account of this session lacks the privilege for this operation.',
    resolution: 'Use an account with more privileges.',
  },
  ResourceMissingAtURI: { severity: 'Critical', text: (a) => `There is no resource at the URI ${a[0]}.`, resolution: 'Check the URI.' },
  OperationNotAllowed: {
    severity: 'Critical',
    text: () => 'This HTTP method is not allowed on this resource.',
    resolution: 'Use a method the Allow header lists.',
  },
  MalformedJSON: { severity: 'Critical', text: () => 'The request body is not valid JSON.', resolution: 'Send valid JSON.' },
  PropertyUnknown: { severity: 'Warning', text: (a) => `The property ${a[0]} is not a property of this resource.`, resolution: 'Remove the property.' },
  PropertyNotWritable: { severity: 'Warning', text: (a) => `The property ${a[0]} cannot be written.`, resolution: 'Remove the property.' },
  PropertyValueNotInList: {
    severity: 'Warning',
    text: (a) => `The value ${a[0]} is not an allowed value of ${a[1]}.`,
    resolution: 'Choose a value from the AllowableValues list.',
  },
  PropertyValueTypeError: { severity: 'Warning', text: (a) => `The value ${a[0]} has the wrong type for ${a[1]}.`, resolution: 'Correct the value.' },
  ActionParameterMissing: { severity: 'Critical', text: (a) => `The action ${a[0]} needs the parameter ${a[1]}.`, resolution: 'Add the parameter.' },
  ActionParameterValueNotInList: {
    severity: 'Warning',
    text: (a) => `The value ${a[0]} of parameter ${a[1]} is not allowed for the action ${a[2]}.`,
    resolution: 'Choose one of the AllowableValues.',
  },
  ActionParameterUnknown: { severity: 'Warning', text: (a) => `The action ${a[0]} has no parameter ${a[1]}.`, resolution: 'Remove the parameter.' },
  PreconditionFailed: {
    severity: 'Critical',
    text: () => "The If-Match ETag does not match the resource's current ETag.",
    resolution: 'Read the resource again and retry.',
  },
  PreconditionRequired: {
    severity: 'Critical',
    text: () => 'This resource is changed only with an If-Match header.',
    resolution: 'Send If-Match with the ETag.',
  },
  ResourceInUse: { severity: 'Warning', text: () => 'The resource is in use and cannot be changed now.', resolution: 'Retry later, or eject the media first.' },
  CouldNotEstablishConnection: {
    severity: 'Critical',
    text: (a) => `The service could not connect to ${a[0]}.`,
    resolution: 'Check that the image server is reachable from the BMC.',
  },
  SessionTerminated: { severity: 'OK', text: () => 'The session ended.', resolution: 'None' },
  Created: { severity: 'OK', text: () => 'The resource was created.', resolution: 'None' },
};

export interface SimMessage {
  '@odata.type': string;
  MessageId: string;
  Message: string;
  MessageArgs: string[];
  Severity: string;
  MessageSeverity: string;
  Resolution: string;
}

export function message(key: string, args: string[] = []): SimMessage {
  const t = TEMPLATES[key];
  if (!t) throw new Error(`simulator: no message ${key}`);
  return {
    '@odata.type': '#Message.v1_1_1.Message',
    MessageId: `${BASE_REGISTRY}.${key}`,
    Message: t.text(args),
    MessageArgs: args,
    Severity: t.severity,
    MessageSeverity: t.severity,
    Resolution: t.resolution,
  };
}

/** An error body: `code` GeneralError as services send it, the detail in @Message.ExtendedInfo. */
export function errorBody(key: string, args: string[] = []): unknown {
  const m = message(key, args);
  return { error: { code: `${BASE_REGISTRY}.GeneralError`, message: m.Message, '@Message.ExtendedInfo': [m] } };
}
