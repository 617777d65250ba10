import type {
  BootDevice,
  BootDeviceAnswer,
  OpenSessionAnswer,
  OpenSolAnswer,
  PowerAction,
  PowerActionAnswer,
  ServerSummary,
} from '../../../src/api/api-types.js';
import { $ } from '../common/dom.js';
import { t } from '../common/i18n.js';
import { api } from '../common/operator-api.js';
import type { MessageKey } from '../common/messages.js';
import { serverLabel } from './format.js';

/**
 * What the dashboard's buttons do, each through the REST API a panel uses (so the same checks and
 * the same audit line): open a console or serial console in a new tab, power, boot device, end a
 * session. Anything that changes a server asks first, naming the server.
 */

export const POWER_ACTIONS: readonly PowerAction[] = ['on', 'off', 'soft', 'cycle', 'reset'];
export const BOOT_DEVICES: readonly BootDevice[] = ['pxe', 'disk', 'cdrom', 'bios'];

/** Asks in the page's own dialog (translated, and testable, unlike window.confirm). */
export function confirmAction(text: string, okLabel: string): Promise<boolean> {
  const dialog = $<HTMLDialogElement>('confirm');
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

/**
 * Opens a tab at once (while the click still counts as the person's, so no popup blocker stops it),
 * then sends it to the one-time URL the API gives; the new page cannot reach back to this one.
 */
export async function openInNewTab(getUrl: () => Promise<string>, onError: (message: string) => void): Promise<void> {
  const tab = window.open('about:blank', '_blank');
  if (tab) tab.opener = null;
  try {
    const url = await getUrl();
    if (tab) tab.location.href = url;
    else onError(t('dash.popupBlocked', { url }));
  } catch (e) {
    tab?.close();
    onError((e as Error).message);
  }
}

export function openConsole(s: ServerSummary, viewOnly: boolean, onError: (m: string) => void): Promise<void> {
  return openInNewTab(async () => (await api<OpenSessionAnswer>('/api/v1/sessions', { method: 'POST', body: { serverId: s.id, viewOnly } })).url, onError);
}

export function openSol(s: ServerSummary, onError: (m: string) => void): Promise<void> {
  return openInNewTab(async () => (await api<OpenSolAnswer>(`/api/v1/servers/${encodeURIComponent(s.id)}/sol`, { method: 'POST', body: {} })).url, onError);
}

const ACTION_LABEL: Record<PowerAction, MessageKey> = {
  on: 'dash.action.on',
  off: 'dash.action.off',
  soft: 'dash.action.soft',
  cycle: 'dash.action.cycle',
  reset: 'dash.action.reset',
};
const ACTION_CONFIRM: Record<PowerAction, MessageKey> = {
  on: 'dash.confirm.on',
  off: 'dash.confirm.off',
  soft: 'dash.confirm.soft',
  cycle: 'dash.confirm.cycle',
  reset: 'dash.confirm.reset',
};

export function powerActionLabel(a: PowerAction): string {
  return t(ACTION_LABEL[a]);
}

export function bootDeviceLabel(d: BootDevice): string {
  return t(`dash.boot.${d}`);
}

/** Asks, then runs the power action; the text to show after (done, what was sent, the note, or the error), or null when not confirmed. */
export async function powerAction(s: ServerSummary, action: PowerAction, say: (text: string, error?: boolean) => void): Promise<void> {
  const label = powerActionLabel(action);
  if (!(await confirmAction(t(ACTION_CONFIRM[action], { server: serverLabel(s) }), label))) return;
  say(t('dash.result.working', { action: label }));
  try {
    const r = await api<PowerActionAnswer>(`/api/v1/servers/${encodeURIComponent(s.id)}/power`, { method: 'POST', body: { action } });
    const done = r.performed
      ? t('dash.result.sent', { action: label, performed: r.performed.join(t('dash.result.then')) })
      : t('dash.result.done', { action: label });
    say(r.note ? `${done} — ${r.note}` : done);
  } catch (e) {
    say(t('dash.result.failed', { action: label, message: (e as Error).message }), true);
  }
}

export async function setBootDevice(s: ServerSummary, device: BootDevice, persistent: boolean, say: (text: string, error?: boolean) => void): Promise<void> {
  const when = t(persistent ? 'dash.boot.persistent' : 'dash.boot.once');
  if (!(await confirmAction(t('dash.confirm.bootdev', { server: serverLabel(s), device: bootDeviceLabel(device), when }), t('dash.boot.set')))) return;
  try {
    await api<BootDeviceAnswer>(`/api/v1/servers/${encodeURIComponent(s.id)}/bootdev`, { method: 'POST', body: { device, persistent } });
    say(t('dash.result.boot', { device: bootDeviceLabel(device), when }));
  } catch (e) {
    say(t('dash.result.failed', { action: t('dash.bootDevice'), message: (e as Error).message }), true);
  }
}

export async function endSession(s: ServerSummary, sessionId: string, sol: boolean, say: (text: string, error?: boolean) => void): Promise<void> {
  const label = t(sol ? 'dash.endSol' : 'dash.endSession');
  if (!(await confirmAction(t(sol ? 'dash.confirm.endSol' : 'dash.confirm.end', { server: serverLabel(s) }), label))) return;
  try {
    await api<undefined>(`/api/v1/${sol ? 'sol-sessions' : 'sessions'}/${encodeURIComponent(sessionId)}`, { method: 'DELETE' });
  } catch (e) {
    say(t('dash.result.failed', { action: label, message: (e as Error).message }), true);
  }
}
