import type { ConsoleConfig, SessionsConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Source } from './types.js';
import { AtenSource } from './aten/aten-source.js';
import { atenSourceOptions } from './aten/aten-config.js';
import { OpenBmcSource } from './openbmc/openbmc-source.js';
import { FallbackSource } from './jnlp/fallback-source.js';
import type { JavaViewers } from './jnlp/java-viewers.js';
import { jnlpFromAten, type JnlpConsoleConfig } from './jnlp/jnlp-config.js';
import { JnlpSource } from './jnlp/jnlp-source.js';
import { VncSource } from './vnc/vnc-source.js';

/** What sources may need besides their console's config. */
export interface SourceDeps {
  serverId: string;
  /** Present when some console of the configuration uses Java (src/sources/jnlp/java-viewers.ts). */
  java: JavaViewers | undefined;
}

/** One Source per console type; adding a vendor adds a case here and a folder beside vnc/. */
export function createSource(cfg: ConsoleConfig, log: Logger, sessions: SessionsConfig, deps: SourceDeps): Source {
  switch (cfg.type) {
    case 'vnc':
      return new VncSource(cfg, log, sessions);
    case 'aten': {
      const native = new AtenSource(atenSourceOptions(cfg, sessions), log);
      if (cfg.fallback !== 'jnlp') return native;
      return new FallbackSource(native, () => jnlpSource(jnlpFromAten(cfg), log, sessions, deps), log.child({ server: deps.serverId }));
    }
    case 'jnlp':
      return jnlpSource(cfg, log, sessions, deps);
    case 'openbmc':
      return new OpenBmcSource(cfg, log, sessions);
  }
}

function jnlpSource(cfg: JnlpConsoleConfig, log: Logger, sessions: SessionsConfig, deps: SourceDeps): JnlpSource {
  if (!deps.java) throw new GatewayError('GW_ERR_INTERNAL', 'assert: a jnlp console without JavaViewers');
  const password = cfg.origin.kind === 'url' ? cfg.origin.password : cfg.origin.web.password;
  return new JnlpSource({ serverId: deps.serverId, origin: cfg.origin, java: deps.java, sessions, secrets: password ? [password] : [] }, log);
}
