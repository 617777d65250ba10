import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GatewayError, GatewayErrorCodes } from '../../../../src/errors.js';
import { errorMessages, messageKey, REDFISH_MESSAGE_CODES, redfishError } from '../../../../src/redfish/redfish-errors.js';

const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');

const body = (...ids: string[]) => ({
  error: {
    code: 'Base.1.8.1.GeneralError',
    message: 'A general error has occurred.',
    '@Message.ExtendedInfo': ids.map((id) => ({ MessageId: id, Message: `message of ${id}`, Severity: 'Warning' })),
  },
});

describe('Redfish errors → GW codes', () => {
  it('every mapped MessageId and code is documented in docs/errors.md, and every code exists', () => {
    for (const [key, code] of Object.entries(REDFISH_MESSAGE_CODES)) {
      expect(doc, key).toContain(key);
      expect(GatewayErrorCodes[code], code).toBeDefined();
      expect(doc, code).toContain(`\`${code}\``);
    }
  });

  it("takes the first known MessageId, whatever the registry version, and keeps the BMC's words", () => {
    const e = redfishError(
      { status: 400, headers: {}, body: body('Vendor.1.0.SomethingElse', 'Base.1.18.1.ActionParameterValueNotInList') },
      'ComputerSystem.Reset (PowerCycle)',
    );
    expect(e).toBeInstanceOf(GatewayError);
    expect(e.code).toBe('GW_ERR_ACTION_NOT_ALLOWED');
    expect(e.status).toBe(409);
    expect(e.message).toBe(
      'ComputerSystem.Reset (PowerCycle): the BMC answered HTTP 400, Vendor.1.0.SomethingElse: message of Vendor.1.0.SomethingElse; Base.1.18.1.ActionParameterValueNotInList: message of Base.1.18.1.ActionParameterValueNotInList',
    );
  });

  it('falls back to the HTTP status; 401 is always the credentials', () => {
    const cases: [number, string][] = [
      [400, 'GW_ERR_BMC_REJECTED'],
      [403, 'GW_ERR_BMC_FORBIDDEN'],
      [404, 'GW_ERR_REDFISH_NOT_FOUND'],
      [405, 'GW_ERR_ACTION_NOT_ALLOWED'],
      [409, 'GW_ERR_BMC_CONFLICT'],
      [412, 'GW_ERR_BMC_CONFLICT'],
      [429, 'GW_ERR_BMC_BUSY'],
      [500, 'GW_ERR_BMC_FAILED'],
      [503, 'GW_ERR_BMC_BUSY'],
    ];
    for (const [status, code] of cases)
      expect(redfishError({ status, headers: {}, body: body('Base.1.8.1.PropertyUnknown') }, 'x').code, String(status)).toBe(code);
    expect(redfishError({ status: 401, headers: {}, body: body('Base.1.8.1.ResourceAtUriUnauthorized') }, 'x').code).toBe('GW_ERR_BMC_AUTH_FAILED');
  });

  it('reads error.code/error.message without ExtendedInfo, and says so when there is no body or no JSON', () => {
    expect(errorMessages({ error: { code: 'Base.1.0.InternalError', message: 'boom' } })).toEqual([{ id: 'Base.1.0.InternalError', message: 'boom' }]);
    expect(redfishError({ status: 500, headers: {}, body: { error: { code: 'Base.1.0.InternalError', message: 'boom' } } }, 'x').message).toBe(
      'x: the BMC answered HTTP 500, Base.1.0.InternalError: boom',
    );
    expect(redfishError({ status: 502, headers: {}, body: undefined }, 'x').message).toBe('x: the BMC answered HTTP 502, no error message');
    expect(redfishError({ status: 502, headers: {}, body: undefined, notJson: '<html>Bad gateway</html>' }, 'x').message).toBe(
      'x: the BMC answered HTTP 502, a non-JSON answer "<html>Bad gateway</html>"',
    );
  });

  it('bounds and cleans what the BMC said: control characters out, long messages cut, at most three', () => {
    const long = {
      error: {
        '@Message.ExtendedInfo': Array.from({ length: 40 }, (_, i) => ({ MessageId: `Base.1.8.1.Id${i}`, Message: `line\r\n\u001b[31m${'x'.repeat(1000)}` })),
      },
    };
    const e = redfishError({ status: 400, headers: {}, body: long }, 'x');
    // eslint-disable-next-line no-control-regex -- ESC is the control character it must not contain
    expect(e.message).not.toMatch(/[\r\n\u001b]/);
    expect(e.message.length).toBeLessThan(1200);
    expect(e.message.match(/Base\.1\.8\.1\.Id/g)).toHaveLength(3);
    // Odd shapes do not throw.
    for (const odd of [
      null,
      7,
      'x',
      [],
      { error: 'no' },
      { error: { '@Message.ExtendedInfo': 'no' } },
      { error: { '@Message.ExtendedInfo': [null, 3, { MessageId: 5 }] } },
    ]) {
      expect(redfishError({ status: 400, headers: {}, body: odd }, 'x').code).toBe('GW_ERR_BMC_REJECTED');
    }
  });

  it('a MessageId whose key names an Object.prototype member maps by the status, never to that member (fuzz: redfish-json)', () => {
    for (const id of ['Base.1.8.constructor', 'Base.1.8.toString', 'Base.1.8.__proto__', 'hasOwnProperty']) {
      const e = redfishError({ status: 400, headers: {}, body: body(id) }, 'doing');
      expect(e).toBeInstanceOf(GatewayError);
      expect(e.code).toBe('GW_ERR_BMC_REJECTED');
      expect(e.status).toBe(502);
    }
    expect(redfishError({ status: 503, headers: {}, body: body('Base.1.8.constructor') }, 'doing').code).toBe('GW_ERR_BMC_BUSY');
  });

  it('messageKey is the last part of a MessageId', () => {
    expect(messageKey('Base.1.8.1.PropertyUnknown')).toBe('PropertyUnknown');
    expect(messageKey('PropertyUnknown')).toBe('PropertyUnknown');
  });
});
