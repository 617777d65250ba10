import type { ConfigReader, Path } from '../config/reader.js';

/** `recording:` in the config file (docs/config.md). */
export interface RecordingConfig {
  /** Directory the .fbs and .input.jsonl files go to (created at start if missing). */
  dir: string;
  /** Server ids whose sessions are recorded; "*" means every server. */
  servers: readonly string[];
}

/** Validates `recording: { dir, servers }`; undefined when absent (nothing is recorded). */
export function readRecordingConfig(r: ConfigReader, path: Path, raw: unknown): RecordingConfig | undefined {
  if (raw === undefined) return undefined;
  const o = r.object(path, raw, ['dir', 'servers']);
  if (!o) return undefined;
  const dir = r.string([...path, 'dir'], o.dir, { required: true, nonEmpty: true });
  const list = r.array([...path, 'servers'], o.servers ?? ['*']) ?? [];
  const servers = list.map((s, i) => r.string([...path, 'servers', i], s, { required: true, nonEmpty: true })).filter((s): s is string => !!s);
  return dir === undefined ? undefined : { dir, servers };
}

export function recordsServer(cfg: RecordingConfig, serverId: string): boolean {
  return cfg.servers.includes('*') || cfg.servers.includes(serverId);
}
