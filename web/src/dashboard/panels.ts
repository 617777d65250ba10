import type { ActivityEntry, AgentsAnswer } from '../../../src/api/api-types.js';
import { $, el } from '../common/dom.js';
import { t } from '../common/i18n.js';
import type { MessageKey } from '../common/messages.js';
import { bootDeviceLabel, powerActionLabel } from './actions.js';
import { fmtTime } from './format.js';

/** The dashboard's side panels: the agents of other locations (dispatch) and the recent actions. */

export function drawAgents(a: AgentsAnswer, unreachable: readonly string[]): void {
  const section = $('agents-section');
  section.hidden = a.dispatch === 'in-process' && a.agents.length === 0;
  $('dispatch').textContent = t('dash.agents.dispatch', { role: a.dispatch, broker: a.broker ?? '—' });
  $('unreachable').textContent = unreachable.length ? t('dash.agents.unreachable', { agents: unreachable.join(', ') }) : '';
  $('agents')
    .querySelector('tbody')!
    .replaceChildren(
      ...a.agents.map((g) =>
        el(
          'tr',
          { dataset: { agent: g.id } },
          el('td', {}, g.location),
          el('td', {}, g.id),
          el('td', {}, g.url),
          el('td', {}, g.version),
          el('td', { className: 'load' }, String(g.load)),
          el('td', {}, t('dash.agents.ago', { n: (g.lastSeenMs / 1000).toFixed(0) })),
        ),
      ),
    );
}

const ACTIONS: Record<string, MessageKey> = { novnc: 'dash.activityAction.novnc', sol: 'dash.activityAction.sol', end: 'dash.activityAction.end' };

/** An activity entry's action (`ipmi_power cycle`, `novnc view_only`, …) in words. */
function actionText(action: string): string {
  const [name = '', arg = '', flag] = action.split(' ');
  if (name === 'novnc' && arg === 'view_only') return t('dash.activityAction.novncViewOnly');
  if (ACTIONS[name]) return t(ACTIONS[name]);
  if (name === 'ipmi_power')
    return t('dash.activityAction.power', {
      cmd: (['on', 'off', 'soft', 'cycle', 'reset'] as const).find((a) => a === arg) ? powerActionLabel(arg as 'on') : arg,
    });
  if (name === 'ipmi_bootdev')
    return t('dash.activityAction.bootdev', {
      dev: `${(['pxe', 'disk', 'cdrom', 'bios'] as const).includes(arg as 'pxe') ? bootDeviceLabel(arg as 'pxe') : arg}${flag ? ` (${t('dash.boot.persistent')})` : ''}`,
    });
  if (name === 'media') return t('dash.activityAction.media', { cmd: arg });
  return t('dash.activityAction.other', { action });
}

/** Newest first; `label` turns a server id into what a person reads. */
export function drawActivity(entries: readonly ActivityEntry[], label: (serverId: string) => string): void {
  const list = $('activity');
  list.replaceChildren(
    ...[...entries]
      .reverse()
      .map((e) =>
        el(
          'li',
          { className: e.result === 'error' ? 'error' : '' },
          el('time', {}, fmtTime(e.at)),
          ' ',
          t('dash.activity.entry', { who: e.who, action: actionText(e.action), server: label(e.serverId) }),
          e.result === 'error' ? ` — ${t('dash.activity.failed', { message: e.message ?? e.code ?? '' })}` : '',
        ),
      ),
  );
  if (entries.length === 0) list.append(el('li', { className: 'muted' }, t('dash.activity.none')));
}
