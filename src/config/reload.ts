import { CONFIG_KEYS } from './load.js';
import type { GatewayConfig } from './types.js';

/** Keys a SIGHUP reload applies (docs/config.md, "Reloading"); every other top-level key keeps its value until a restart. */
export const RELOADABLE = ['servers', 'tokens', 'operators'] as const;
export type ReloadableConfig = Pick<GatewayConfig, (typeof RELOADABLE)[number]>;

type FixedKey = Exclude<(typeof CONFIG_KEYS)[number], (typeof RELOADABLE)[number] | 'atenTemplates'>;
/**
 * The keys a reload cannot apply: a change to one is logged as needing a restart. Every key of the
 * file but the reloadable ones, so a key added to the file is covered without being listed again;
 * `atenTemplates` is left out because it is resolved into `servers`, where a change shows.
 */
export const FIXED_AT_START: readonly FixedKey[] = CONFIG_KEYS.filter(
  (k): k is FixedKey => k !== 'atenTemplates' && !(RELOADABLE as readonly string[]).includes(k),
);

/**
 * Puts the reloadable keys of `next` into the running config object, which every service holds and
 * reads (its top level is sealed, not frozen: src/config/load.ts). Used by the front and by each worker.
 */
export function applyReloadable(config: GatewayConfig, next: ReloadableConfig): void {
  const running = config as { -readonly [K in keyof ReloadableConfig]: ReloadableConfig[K] };
  running.servers = next.servers;
  running.tokens = next.tokens;
  running.operators = next.operators;
}

/**
 * Ends the sessions (console or serial) of removed and changed servers with `config-changed`: a
 * session holds the ServerConfig it was opened with. Answers how many it ended.
 */
export function endForConfigChange(
  sessions: Iterable<{ readonly server: { readonly id: string }; readonly state: string; end(reason: string, code: 'config-changed'): void }>,
  removed: readonly string[],
  changed: readonly string[],
): number {
  let ended = 0;
  for (const s of sessions) {
    if (s.state === 'ended') continue;
    if (removed.includes(s.server.id)) s.end('the server was removed from the configuration', 'config-changed');
    else if (changed.includes(s.server.id)) s.end("the server's configuration changed", 'config-changed');
    else continue;
    ended++;
  }
  return ended;
}
