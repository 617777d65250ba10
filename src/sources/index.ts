import type { ConsoleConfig, SessionsConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Source } from './types.js';
import { AtenSource } from './aten/aten-source.js';
import { atenSourceOptions } from './aten/aten-config.js';
import { OpenBmcSource } from './openbmc/openbmc-source.js';
import { VncSource } from './vnc/vnc-source.js';

/** One Source per console type; adding a vendor adds a case here and a folder beside vnc/. */
export function createSource(cfg: ConsoleConfig, log: Logger, sessions: SessionsConfig): Source {
  switch (cfg.type) {
    case 'vnc':
      return new VncSource(cfg, log, sessions);
    case 'aten':
      return new AtenSource(atenSourceOptions(cfg, sessions), log);
    case 'openbmc':
      return new OpenBmcSource(cfg, log, sessions);
  }
}
