// The console page's entry: the smallest script that can open the console's WebSocket (it is
// fetched and run first — `async`, so without waiting for the HTML parser — while the rest — noVNC and the toolbar, console-app.ts — is still loading:
// the build preloads it with <link rel="modulepreload">). The socket is then handed to noVNC.
import { pageKey, wsUrl } from '../common/location.js';
import { EarlySocket } from './early-socket.js';
import './console.css';

const KEY = pageKey();
const earlySocket = KEY ? new EarlySocket(wsUrl(`/ws/${encodeURIComponent(KEY)}`)) : undefined;

// `async` in the HTML: this runs as soon as it has arrived, maybe before the body is parsed; the
// page's body is needed only once noVNC is there.
const domReady = new Promise<void>((resolve) => {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => resolve(), { once: true });
  else resolve();
});

Promise.all([import('./console-app.js'), domReady]).then(
  ([app]) => app.start(KEY, earlySocket),
  (err: unknown) => {
    const m = document.getElementById('message');
    if (m) {
      m.textContent = `The console page could not load its script: ${String(err)}`;
      m.hidden = false;
    }
    document.body.dataset.state = 'ended';
  },
);
