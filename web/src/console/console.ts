// The console page's entry: the smallest script that can open the console's WebSocket (it is
// fetched and run first, while the rest — noVNC and the toolbar, console-app.ts — is still loading:
// the build preloads it with <link rel="modulepreload">). The socket is then handed to noVNC.
import { pageKey, wsUrl } from '../common/location.js';
import { EarlySocket } from './early-socket.js';
import './console.css';

const KEY = pageKey();
const earlySocket = KEY ? new EarlySocket(wsUrl(`/ws/${encodeURIComponent(KEY)}`)) : undefined;

import('./console-app.js').then(
  (app) => app.start(KEY, earlySocket),
  (err: unknown) => {
    const m = document.getElementById('message');
    if (m) {
      m.textContent = `The console page could not load its script: ${String(err)}`;
      m.hidden = false;
    }
    document.body.dataset.state = 'ended';
  },
);
