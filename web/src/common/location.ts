// Where the page is: its one-time key and the WebSocket URL of a path. No imports, so the console
// page's first script (web/src/console/console.ts) stays a single small file.

/** The console and serial-console pages' one-time key: the last part of their URL (`/console/KEY`, `/sol/KEY`). */
export function pageKey(): string {
  return decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
}

/** ws: or wss: URL of a path on this origin. */
export function wsUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
}
