import type { PowerReading, RecordingsAnswer, ServerSummary, SessionView, SolSessionView } from '../../../src/api/api-types.js';
import { el } from '../common/dom.js';
import { t } from '../common/i18n.js';
import { api, apiBlob } from '../common/operator-api.js';
import { BOOT_DEVICES, bootDeviceLabel, endSession, openConsole, openSol, POWER_ACTIONS, powerAction, powerActionLabel, setBootDevice } from './actions.js';
import { fmtBytes, fmtDuration, fmtTime, serverLabel } from './format.js';

/** A thumbnail is fetched again when the screen changed, at most this often. */
const THUMB_MIN_INTERVAL_MS = 2000;

/**
 * One server of the fleet table: its row (name, location, console kind, what it has, power, live
 * session with thumbnail) and a details row (power actions, boot device, recordings) opened on demand.
 * The feed calls the setters; the row redraws only its own cells, so an open details row, a chosen
 * boot device or the last result stay as they are.
 */
export class ServerRow {
  readonly server: ServerSummary;
  readonly tr: HTMLTableRowElement;
  readonly details: HTMLTableRowElement;
  session: SessionView | undefined;
  sol: SolSessionView | undefined;
  reading: PowerReading | undefined;
  readonly #power = el('td', { className: 'power' });
  readonly #sessionCell = el('td', { className: 'session' });
  readonly #thumb = el('img', { className: 'thumb', hidden: true });
  readonly #result = el('p', { className: 'result' });
  readonly #recordings = el('div', { className: 'recordings' });
  readonly #endSession = el(
    'button',
    {
      type: 'button',
      className: 'end-session',
      hidden: true,
      onclick: () => this.session && void endSession(this.server, this.session.id, false, (m, e) => this.say(m, e)),
    },
    t('dash.endSession'),
  );
  readonly #endSol = el(
    'button',
    {
      type: 'button',
      className: 'end-sol',
      hidden: true,
      onclick: () => this.sol && void endSession(this.server, this.sol.id, true, (m, e) => this.say(m, e)),
    },
    t('dash.endSol'),
  );
  #thumbUrl: string | undefined;
  #thumbOf = { session: '', updates: -1, at: 0 };
  #thumbTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(server: ServerSummary) {
    this.server = server;
    const s = server;
    this.#thumb.alt = t('dash.thumbAlt', { server: serverLabel(s) });
    const badges = el(
      'td',
      { className: 'access' },
      s.ipmi && el('span', { className: 'badge' }, t('dash.badge.ipmi')),
      s.redfish && el('span', { className: 'badge' }, t('dash.badge.redfish')),
      s.sol && el('span', { className: 'badge' }, t('dash.badge.sol')),
      s.recorded && el('span', { className: 'badge recorded' }, t('dash.badge.recorded')),
    );
    const say = (text: string, error = false) => this.say(text, error);
    const actions = el(
      'td',
      { className: 'actions' },
      s.console && el('button', { type: 'button', className: 'open-console', onclick: () => void openConsole(s, false, (m) => say(m, true)) }, t('dash.open')),
      s.console &&
        el('button', { type: 'button', className: 'open-view-only', onclick: () => void openConsole(s, true, (m) => say(m, true)) }, t('dash.openViewOnly')),
      s.sol && el('button', { type: 'button', className: 'open-sol', onclick: () => void openSol(s, (m) => say(m, true)) }, t('dash.openSol')),
    );
    const more = el('button', { type: 'button', className: 'more' }, t('dash.details'));
    more.addEventListener('click', () => this.toggleDetails());
    actions.append(more);
    this.tr = el(
      'tr',
      { dataset: { server: s.id } },
      el('td', { className: 'name' }, el('strong', {}, serverLabel(s)), s.name ? el('small', { className: 'id' }, s.id) : null),
      el('td', { className: 'location' }, s.location ?? ''),
      el('td', { className: 'console-kind' }, s.consoleType ?? t('dash.noConsole')),
      badges,
      this.#power,
      this.#sessionCell,
      actions,
    );
    this.details = el('tr', { className: 'details', hidden: true, dataset: { details: s.id } }, el('td', { colSpan: 7 }, this.#detailsBody()));
    this.#drawPower();
    this.#drawSession();
  }

  say(text: string, error = false): void {
    this.#result.textContent = text;
    this.#result.classList.toggle('error', error);
    if (this.details.hidden) this.toggleDetails();
  }

  toggleDetails(): void {
    this.details.hidden = !this.details.hidden;
    this.tr.querySelector('button.more')!.textContent = t(this.details.hidden ? 'dash.details' : 'dash.hideDetails');
    if (!this.details.hidden && this.server.recorded) void this.#loadRecordings();
  }

  setSession(session: SessionView | undefined): void {
    this.session = session;
    this.#drawSession();
  }

  setSol(sol: SolSessionView | undefined): void {
    this.sol = sol;
    this.#drawSession();
  }

  setReading(r: PowerReading): void {
    this.reading = r;
    this.#drawPower();
  }

  /** 'on', 'off' or 'unknown' (no reading yet, or it failed); 'none' without power control. */
  get powerState(): 'on' | 'off' | 'unknown' | 'none' {
    if (!this.server.power) return 'none';
    return this.reading?.power ?? 'unknown';
  }

  #detailsBody(): HTMLElement {
    const s = this.server;
    const body = el('div', { className: 'details-body' });
    if (s.power) {
      const say = (text: string, error?: boolean) => this.say(text, error);
      const buttons = POWER_ACTIONS.map((a) =>
        el('button', { type: 'button', dataset: { action: a }, onclick: () => void powerAction(s, a, say) }, powerActionLabel(a)),
      );
      const refresh = el('button', { type: 'button', className: 'refresh', onclick: () => void this.#readNow() }, t('dash.power.refresh'));
      const select = el('select', { className: 'boot-device' }, ...BOOT_DEVICES.map((d) => new Option(bootDeviceLabel(d), d)));
      select.setAttribute('aria-label', t('dash.bootDevice'));
      const persistent = el('input', { type: 'checkbox', className: 'boot-persistent' });
      const set = el(
        'button',
        { type: 'button', className: 'set-boot', onclick: () => void setBootDevice(s, select.value as (typeof BOOT_DEVICES)[number], persistent.checked, say) },
        t('dash.boot.set'),
      );
      body.append(
        el('p', { className: 'power-actions' }, el('span', { className: 'label' }, t('dash.powerActions')), ...buttons, refresh),
        el(
          'p',
          { className: 'boot' },
          el('span', { className: 'label' }, t('dash.bootDevice')),
          select,
          el('label', {}, persistent, ` ${t('dash.boot.persistent')}`),
          set,
        ),
      );
    }
    body.append(this.#result, el('p', { className: 'end-buttons' }, this.#endSession, this.#endSol));
    if (s.recorded) body.append(el('h3', {}, t('dash.recordings')), this.#recordings);
    return body;
  }

  /** A status read through the API, like a panel's: the feed brings the answer to every dashboard. */
  async #readNow(): Promise<void> {
    this.#power.textContent = t('dash.power.reading');
    try {
      await api(`/api/v1/servers/${encodeURIComponent(this.server.id)}/power`);
    } catch {
      // the feed carries the failed reading too
    }
  }

  async #loadRecordings(): Promise<void> {
    try {
      const { recordings } = await api<RecordingsAnswer>(`/api/v1/recordings?serverId=${encodeURIComponent(this.server.id)}`);
      this.#recordings.replaceChildren(
        recordings.length === 0
          ? el('p', {}, t('dash.recordings.none'))
          : el(
              'ul',
              {},
              ...recordings.map((r) =>
                el(
                  'li',
                  { dataset: { recording: r.id } },
                  `${new Date(r.startedAt).toLocaleString()} · ${fmtBytes(r.bytes)} `,
                  r.live ? el('span', { className: 'badge' }, t('dash.recordings.live')) : null,
                  ' ',
                  // rel=opener: the replay page (same origin, operators only) gets this tab's sessionStorage, so the
                  // operator's sign-in, instead of asking for the token again.
                  el('a', { href: `/replay/${encodeURIComponent(r.id)}`, target: '_blank', rel: 'opener', className: 'replay' }, t('dash.recordings.replay')),
                ),
              ),
            ),
      );
    } catch (e) {
      this.#recordings.replaceChildren(el('p', { className: 'error' }, (e as Error).message));
    }
  }

  #drawPower(): void {
    const cell = this.#power;
    if (!this.server.power) {
      cell.textContent = t('dash.power.none');
      cell.className = 'power';
      return;
    }
    const r = this.reading;
    if (!r) {
      cell.textContent = t('dash.power.reading');
      cell.className = 'power';
      return;
    }
    if (r.power === null) {
      cell.textContent = t('dash.power.unknown');
      cell.title = t('dash.power.failed', { message: r.error?.message ?? '' });
      cell.className = 'power power-unknown';
      return;
    }
    const text = t(`dash.power.${r.power}`);
    cell.textContent = r.powerState && r.powerState.toLowerCase() !== r.power ? `${text} (${r.powerState})` : text;
    cell.title = t('dash.power.readAt', { time: fmtTime(r.at) });
    cell.className = `power power-${r.power}`;
    cell.dataset.power = r.power;
  }

  #drawSession(): void {
    const s = this.session;
    const parts: (Node | string)[] = [];
    if (s) {
      const viewOnly = s.viewers.filter((v) => v.viewOnly).length;
      const viewers = t('dash.viewers', { n: s.viewers.length }) + (viewOnly ? ` (${t('dash.viewersViewOnly', { n: viewOnly })})` : '');
      const age = fmtDuration((Date.now() - Date.parse(s.createdAt)) / 1000);
      parts.push(
        this.#thumb,
        el('span', { className: `state state-${s.state}` }, t(`dash.state.${s.state}`)),
        ' · ',
        el('span', { className: 'viewers' }, viewers),
        ' · ',
        t('dash.age', { age }),
      );
      this.#refreshThumb(s);
    } else {
      this.#dropThumb();
      if (!this.sol) parts.push(el('span', { className: 'muted' }, t('dash.noSession')));
    }
    if (this.sol) {
      parts.push(
        el(
          'div',
          { className: 'sol-session' },
          t('dash.solSession', { state: t(`dash.state.${this.sol.state}`), viewers: t('dash.viewers', { n: this.sol.viewers }) }),
        ),
      );
    }
    this.#sessionCell.replaceChildren(...parts);
    this.tr.dataset.session = s ? s.id : '';
    // Shown or hidden, never rebuilt: the feed redraws this row every few seconds while a session is busy.
    this.#endSession.hidden = !s;
    this.#endSol.hidden = !this.sol;
  }

  /** The thumbnail follows the screen: fetched again when the BMC sent something new, not more than every 2 s. */
  #refreshThumb(s: SessionView): void {
    const now = Date.now();
    const known = this.#thumbOf;
    if (known.session === s.id && known.updates === s.screenUpdates) return;
    if (known.session === s.id && now - known.at < THUMB_MIN_INTERVAL_MS) {
      this.#thumbTimer ??= setTimeout(
        () => {
          this.#thumbTimer = undefined;
          if (this.session) this.#refreshThumb(this.session);
        },
        THUMB_MIN_INTERVAL_MS - (now - known.at),
      );
      return;
    }
    this.#thumbOf = { session: s.id, updates: s.screenUpdates, at: now };
    void apiBlob(`/api/v1/sessions/${encodeURIComponent(s.id)}/thumbnail.png?width=240`).then((blob) => {
      if (!blob || this.session?.id !== s.id) return;
      if (this.#thumbUrl) URL.revokeObjectURL(this.#thumbUrl);
      this.#thumbUrl = URL.createObjectURL(blob);
      this.#thumb.src = this.#thumbUrl;
      this.#thumb.hidden = false;
    });
  }

  #dropThumb(): void {
    clearTimeout(this.#thumbTimer);
    this.#thumbTimer = undefined;
    if (this.#thumbUrl) URL.revokeObjectURL(this.#thumbUrl);
    this.#thumbUrl = undefined;
    this.#thumb.hidden = true;
    this.#thumb.removeAttribute('src');
    this.#thumbOf = { session: '', updates: -1, at: 0 };
  }
}
