import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../../src/errors.js';
import { checkMediaUrl, hostAllowed } from '../../../../src/redfish/media-url.js';
import { bootOverride, planReset } from '../../../../src/redfish/reset-plan.js';
import { pollDelay } from '../../../../src/redfish/task-monitor.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return (err as GatewayError).code;
  }
  return 'no error';
}

describe('planReset (issue 13 mapping and nearest allowed equivalents)', () => {
  it('the direct mapping when allowed, or when the service does not say', () => {
    expect(planReset('on', undefined)).toEqual({ steps: ['On'], note: undefined });
    expect(planReset('off', ['ForceOff'])).toEqual({ steps: ['ForceOff'], note: undefined });
    expect(planReset('soft', ['GracefulShutdown'])).toEqual({ steps: ['GracefulShutdown'], note: undefined });
    expect(planReset('cycle', ['PowerCycle'])).toEqual({ steps: ['PowerCycle'], note: undefined });
    expect(planReset('reset', ['ForceRestart'])).toEqual({ steps: ['ForceRestart'], note: undefined });
  });

  it('cycle → ForceOff then On; reset → PowerCycle, else ForceOff then On', () => {
    expect(planReset('cycle', ['On', 'ForceOff']).steps).toEqual(['ForceOff', 'On']);
    expect(planReset('reset', ['On', 'ForceOff', 'PowerCycle']).steps).toEqual(['PowerCycle']);
    expect(planReset('reset', ['On', 'ForceOff']).steps).toEqual(['ForceOff', 'On']);
    for (const [cmd, allowed] of [
      ['cycle', ['On', 'ForceOff']],
      ['reset', ['PowerCycle']],
      ['reset', ['On', 'ForceOff']],
    ] as const) {
      expect(planReset(cmd, allowed).note).toMatch(/^the BMC (does not allow|allows neither)/);
    }
  });

  it('no equivalent: GW_ERR_ACTION_NOT_ALLOWED listing what is allowed', () => {
    expect(code(() => planReset('on', ['ForceOn']))).toBe('GW_ERR_ACTION_NOT_ALLOWED');
    expect(code(() => planReset('cycle', ['On']))).toBe('GW_ERR_ACTION_NOT_ALLOWED');
    expect(() => planReset('reset', [])).toThrow(
      'the BMC does not allow ResetType ForceRestart for "reset" (nor PowerCycle, nor ForceOff and On); it allows: nothing',
    );
  });
});

describe('bootOverride', () => {
  it('maps devices and persistence; checks the allowed values when listed', () => {
    expect(bootOverride('pxe', false, {})).toEqual({ Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' } });
    expect(bootOverride('disk', true, { targets: ['Hdd'] })).toEqual({ Boot: { BootSourceOverrideTarget: 'Hdd', BootSourceOverrideEnabled: 'Continuous' } });
    expect(bootOverride('cdrom', false, {}).Boot.BootSourceOverrideTarget).toBe('Cd');
    expect(bootOverride('bios', false, {}).Boot.BootSourceOverrideTarget).toBe('BiosSetup');
    expect(code(() => bootOverride('bios', false, { targets: ['Pxe'] }))).toBe('GW_ERR_ACTION_NOT_ALLOWED');
    expect(code(() => bootOverride('pxe', true, { targets: ['Pxe'], enabled: ['Disabled', 'Once'] }))).toBe('GW_ERR_ACTION_NOT_ALLOWED');
  });
});

describe('checkMediaUrl / hostAllowed', () => {
  const media = { allow: ['images.example', '*.mirror.example', '10.0.9.5', '2001:db8::5'] };
  it('accepts allowed hosts with the TransferProtocolType of the scheme; shows the URL without its query', () => {
    expect(checkMediaUrl('https://images.example/a.iso?sig=1#x', media)).toEqual({
      url: 'https://images.example/a.iso?sig=1#x',
      transferProtocolType: 'HTTPS',
      shown: 'https://images.example/a.iso',
    });
    expect(checkMediaUrl('http://IMAGES.example:8080/a.iso', media).transferProtocolType).toBe('HTTP');
    expect(checkMediaUrl('nfs://10.0.9.5/srv/a.iso', media).transferProtocolType).toBe('NFS');
    expect(checkMediaUrl('smb://deep.a.mirror.example/share/a.iso', media).transferProtocolType).toBe('CIFS');
    expect(checkMediaUrl('https://[2001:db8::5]/a.iso', media).transferProtocolType).toBe('HTTPS');
  });

  it('refuses everything else with its own code', () => {
    const cases: [string, string][] = [
      ['https://mirror.example/a.iso', 'GW_ERR_MEDIA_URL_NOT_ALLOWED'],
      ['https://images.example.attacker/a.iso', 'GW_ERR_MEDIA_URL_NOT_ALLOWED'],
      ['https://10.0.9.6/a.iso', 'GW_ERR_MEDIA_URL_NOT_ALLOWED'],
      ['https://127.0.0.1/a.iso', 'GW_ERR_MEDIA_URL_NOT_ALLOWED'],
      ['https://a@images.example/a.iso', 'GW_ERR_BAD_REQUEST'],
      ['gopher://images.example/a.iso', 'GW_ERR_BAD_REQUEST'],
      ['/local/path.iso', 'GW_ERR_BAD_REQUEST'],
      [`https://images.example/${'a'.repeat(3000)}`, 'GW_ERR_BAD_REQUEST'],
    ];
    for (const [url, c] of cases)
      expect(
        code(() => checkMediaUrl(url, media)),
        url,
      ).toBe(c);
    expect(code(() => checkMediaUrl('https://images.example/a.iso', undefined))).toBe('GW_ERR_MEDIA_URL_NOT_ALLOWED');
    expect(code(() => checkMediaUrl('https://images.example/a.iso', { allow: [] }))).toBe('GW_ERR_MEDIA_URL_NOT_ALLOWED');
  });

  it('a wildcard never matches an address or the bare domain', () => {
    expect(hostAllowed('x.mirror.example', ['*.mirror.example'])).toBe(true);
    expect(hostAllowed('mirror.example', ['*.mirror.example'])).toBe(false);
    expect(hostAllowed('xmirror.example', ['*.mirror.example'])).toBe(false);
    expect(hostAllowed('1.2.3.4', ['*.3.4'])).toBe(false);
  });
});

describe('pollDelay (Retry-After, bounded)', () => {
  it('seconds, an HTTP date, nonsense; never below 200 ms or above 5 s', () => {
    expect(pollDelay(undefined)).toBe(500);
    expect(pollDelay('0')).toBe(200);
    expect(pollDelay('2')).toBe(2000);
    expect(pollDelay('3600')).toBe(5000);
    expect(pollDelay(new Date(Date.UTC(2030, 0, 1, 0, 0, 3)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(3000);
    expect(pollDelay('soon')).toBe(500);
  });
});
