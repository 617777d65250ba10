import type { FleetEvent } from '../../../src/api/api-types.js';
import { SseParser } from '../common/sse-parser.js';
import { ApiError, authHeaders } from '../common/operator-api.js';

/**
 * The dashboard's live feed: `GET /api/v1/fleet/events` read with fetch (the operator token goes in
 * the Authorization header; EventSource cannot send one), parsed as server-sent events, reconnected
 * with backoff when it drops. Every connect starts with the whole state, so nothing is missed.
 */
export interface FeedHandlers {
  event(e: FleetEvent): void;
  live(up: boolean): void;
  /** The token is no longer accepted: the feed stops. */
  refused(e: ApiError): void;
}

export function startFeed(h: FeedHandlers): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  let failures = 0;

  const run = async (): Promise<void> => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const res = await fetch('/api/v1/fleet/events', { headers: authHeaders(), cache: 'no-store', signal: controller.signal });
        if (!res.ok || !res.body) {
          const body = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
          const e = new ApiError(body.error?.code ?? 'GW_ERR_INTERNAL', body.error?.message ?? `HTTP ${res.status}`, res.status);
          if (res.status === 401 || res.status === 403) {
            h.refused(e);
            return;
          }
          throw e;
        }
        failures = 0;
        h.live(true);
        const parser = new SseParser();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const ev of parser.feed(value)) h.event({ type: ev.event, ...JSON.parse(ev.data) } as FleetEvent);
        }
      } catch {
        // dropped, refused for now, or stopped: retried below unless stopped
      }
      if (stopped) return;
      h.live(false);
      failures++;
      await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** Math.min(failures, 5))));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
