// Operators' dashboard, power part: servers with IPMI or Redfish power control, their power state
// (read when the list loads, after each action, and on "Refresh"; never polled, BMCs have few
// sessions), the power actions and the boot device. Everything goes through the REST API with the
// operator's token (the same calls a panel makes), so a server of another location is reached
// through its agent.

const ACTIONS = [
  ['on', 'On'],
  ['off', 'Off'],
  ['soft', 'Soft off'],
  ['cycle', 'Cycle'],
  ['reset', 'Reset'],
];
const DEVICES = ['pxe', 'disk', 'cdrom', 'bios'];

/** `api(path, opts)` and `cell(text)` come from dashboard.js. */
export async function loadPower(api, cell, $) {
  let list;
  try {
    list = await api('/api/v1/servers');
  } catch {
    return;
  }
  const servers = list.servers.filter((s) => s.power);
  $('servers-section').hidden = servers.length === 0;
  const tbody = $('servers').querySelector('tbody');
  tbody.replaceChildren(...servers.map((s) => row(s, api, cell)));
}

function row(s, api, cell) {
  const tr = document.createElement('tr');
  tr.dataset.server = s.id;
  const power = cell('…');
  power.className = 'power';
  const result = cell('');
  result.className = 'result';
  const url = `/api/v1/servers/${encodeURIComponent(s.id)}`;

  const say = (text, isError) => {
    result.textContent = text;
    result.classList.toggle('error', !!isError);
  };
  const status = async () => {
    power.textContent = '…';
    try {
      const st = await api(`${url}/power`);
      power.textContent = st.powerState && st.powerState.toLowerCase() !== st.power ? `${st.power} (${st.powerState})` : st.power;
      power.className = `power power-${st.power}`;
    } catch (e) {
      power.textContent = 'unknown';
      power.className = 'power';
      say(e.message, true);
    }
  };

  const actions = document.createElement('td');
  for (const [action, label] of ACTIONS) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.dataset.action = action;
    b.addEventListener('click', async () => {
      if (!confirm(`${label}: ${s.id}?`)) return;
      say(`${label}…`);
      try {
        const r = await api(`${url}/power`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action }) });
        say(`${label}: done${r.performed ? ` (sent ${r.performed.join(', then ')})` : ''}${r.note ? ` — ${r.note}` : ''}`);
      } catch (e) {
        say(`${label}: ${e.message}`, true);
      }
      status();
    });
    actions.append(b);
  }
  const refresh = document.createElement('button');
  refresh.type = 'button';
  refresh.textContent = 'Refresh';
  refresh.className = 'refresh';
  refresh.addEventListener('click', status);
  actions.append(refresh);

  const boot = document.createElement('td');
  const select = document.createElement('select');
  select.setAttribute('aria-label', `boot device of ${s.id}`);
  for (const d of DEVICES) select.append(new Option(d, d));
  const persistentLabel = document.createElement('label');
  const persistent = document.createElement('input');
  persistent.type = 'checkbox';
  persistentLabel.append(persistent, ' persistent');
  const set = document.createElement('button');
  set.type = 'button';
  set.textContent = 'Set boot device';
  set.className = 'set-boot';
  set.addEventListener('click', async () => {
    try {
      await api(`${url}/bootdev`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ device: select.value, persistent: persistent.checked }) });
      say(`Boot device: ${select.value}${persistent.checked ? ' (persistent)' : ' (next boot)'}`);
    } catch (e) {
      say(`Boot device: ${e.message}`, true);
    }
  });
  boot.append(select, persistentLabel, set);

  tr.append(cell(s.name ? `${s.id} (${s.name})` : s.id), cell(s.location ?? ''), cell(s.power), power, actions, boot, result);
  status();
  return tr;
}
