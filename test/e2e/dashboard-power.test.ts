import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { SIM_USERS, startIpmiSim, type IpmiSim } from '../helpers/ipmi-sim.js';
import { RedfishSimulator } from '../helpers/redfish/simulator.js';
import { simRedfishBlock } from '../helpers/redfish/target.js';

// The operators' dashboard in Chromium: power state and actions for servers with Redfish (our
// simulator) or IPMI (OpenIPMI ipmi_sim, suite 3). What the BMCs did is read from them, not from the page.

const OPERATOR = 'operator-token-e2e-power';

describe('dashboard: power of servers with ipmi or redfish', () => {
  let rf: RedfishSimulator;
  let narrow: RedfishSimulator;
  let ipmi: IpmiSim;
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [rf, narrow, ipmi] = await Promise.all([RedfishSimulator.start(), RedfishSimulator.start({ resetTypes: ['On', 'ForceOff'] }), startIpmiSim()]);
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      operators: [{ token: OPERATOR, name: 'night-shift' }],
      servers: [
        { id: 'rf-1', name: 'Redfish box', location: 'NL', redfish: simRedfishBlock(rf) },
        { id: 'rf-narrow', redfish: simRedfishBlock(narrow) },
        { id: 'ipmi-1', ipmi: { host: '127.0.0.1', port: ipmi.port, ...SIM_USERS.admin, cipherSuite: 3 } },
        { id: 'kvm-only', console: { type: 'vnc', host: '127.0.0.1', port: 5999 } },
      ],
    });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${gw.url}/dashboard`);
    await page.fill('#token', OPERATOR);
    await page.click('#signin button[type=submit]');
    await page.waitForSelector('#servers-section:not([hidden]) #servers tbody tr', { timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await Promise.all([rf?.stop(), narrow?.stop(), ipmi?.stop()]);
  });

  const row = (id: string) => page.locator(`#servers tr[data-server="${id}"]`);
  const powerText = (id: string) => row(id).locator('td.power').textContent();
  const resultText = (id: string) => row(id).locator('td.result').textContent();

  it('lists the servers with power control (not the console-only one) with their power state', async () => {
    await expect.poll(() => page.locator('#servers tbody tr').count()).toBe(3);
    expect(await row('kvm-only').count()).toBe(0);
    await expect.poll(() => powerText('rf-1'), { timeout: 10_000 }).toBe('off');
    await expect.poll(() => powerText('ipmi-1'), { timeout: 10_000 }).toBe('off');
    expect(await row('rf-1').textContent()).toContain('Redfish box');
    expect(await row('rf-1').locator('td').nth(2).textContent()).toBe('redfish');
    expect(await row('ipmi-1').locator('td').nth(2).textContent()).toBe('ipmi');
  });

  it('powers a Redfish server on and an IPMI server on, and shows the new state', async () => {
    await row('rf-1').locator('button[data-action="on"]').click();
    await expect.poll(() => rf.resets, { timeout: 10_000 }).toEqual(['On']);
    await expect.poll(() => powerText('rf-1'), { timeout: 10_000 }).toBe('on');
    expect(await resultText('rf-1')).toBe('On: done (sent On)');
    await row('ipmi-1').locator('button[data-action="on"]').click();
    await expect.poll(() => ipmi.powerState(), { timeout: 10_000 }).toBe('1');
    await expect.poll(() => powerText('ipmi-1'), { timeout: 10_000 }).toBe('on');
    await row('ipmi-1').locator('button[data-action="off"]').click();
    await expect.poll(() => ipmi.powerState(), { timeout: 10_000 }).toBe('0');
  });

  it('says when the BMC got the nearest allowed equivalent, and shows the BMC\'s refusal', async () => {
    await row('rf-narrow').locator('button[data-action="cycle"]').click();
    await expect.poll(() => resultText('rf-narrow'), { timeout: 10_000 }).toBe('Cycle: done (sent ForceOff, then On) — the BMC does not allow ResetType PowerCycle; sent ForceOff, then On once the power was off');
    expect(narrow.resets).toEqual(['ForceOff', 'On']);
    await row('rf-narrow').locator('button[data-action="soft"]').click();
    await expect.poll(() => resultText('rf-narrow'), { timeout: 10_000 }).toBe('Soft off: the BMC does not allow ResetType GracefulShutdown for "soft"; it allows: On, ForceOff');
    expect(await row('rf-narrow').locator('td.result.error').count()).toBe(1);
  });

  it('sets the boot device', async () => {
    await row('rf-1').locator('select').selectOption('bios');
    await row('rf-1').locator('input[type=checkbox]').check();
    await row('rf-1').locator('button.set-boot').click();
    await expect.poll(() => rf.bootChanges, { timeout: 10_000 }).toEqual(['Continuous BiosSetup']);
    expect(await resultText('rf-1')).toBe('Boot device: bios (persistent)');
  });
});
