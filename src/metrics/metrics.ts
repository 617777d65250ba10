import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The gateway's Prometheus metrics (GET /metrics). One Registry per gateway instance, so tests can
 * build several gateways in one process. Labels are bounded sets (no server ids: a provider has
 * thousands of servers).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly sessions = new Gauge({ name: 'bmcgw_sessions', help: 'Live console sessions', registers: [this.registry] });
  readonly viewers = new Gauge({ name: 'bmcgw_viewers', help: 'Connected viewers', labelNames: ['view_only'] as const, registers: [this.registry] });
  readonly bytesIn = new Counter({ name: 'bmcgw_viewer_bytes_in_total', help: 'Bytes received from viewers', registers: [this.registry] });
  readonly bytesOut = new Counter({ name: 'bmcgw_viewer_bytes_out_total', help: 'Bytes sent to viewers', registers: [this.registry] });
  readonly updates = new Counter({ name: 'bmcgw_viewer_updates_total', help: 'FramebufferUpdates sent to viewers', registers: [this.registry] });
  readonly encodeSeconds = new Histogram({
    name: 'bmcgw_encode_seconds',
    help: 'Time to encode one FramebufferUpdate for a viewer',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  });
  readonly sessionsEnded = new Counter({
    name: 'bmcgw_sessions_ended_total',
    help: 'Sessions ended, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly viewersDropped = new Counter({
    name: 'bmcgw_viewers_unresponsive_total',
    help: 'Viewers dropped for not answering WebSocket pings',
    registers: [this.registry],
  });
  readonly reconnects = new Counter({ name: 'bmcgw_upstream_reconnects_total', help: 'BMC links lost and being re-established', registers: [this.registry] });
  readonly consoleOpens = new Counter({
    name: 'bmcgw_console_opens_total',
    help: 'Console URLs issued',
    labelNames: ['joined'] as const,
    registers: [this.registry],
  });
  readonly dispatchRequests = new Counter({
    name: 'bmcgw_dispatch_requests_total',
    help: 'Requests sent to agents, by location and outcome',
    labelNames: ['location', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly dispatchFailures = new Counter({
    name: 'bmcgw_dispatch_failures_total',
    help: 'Dispatched requests that failed, by location and error code',
    labelNames: ['location', 'code'] as const,
    registers: [this.registry],
  });
  readonly dispatchSeconds = new Histogram({
    name: 'bmcgw_dispatch_seconds',
    help: 'Time from sending a request to an agent to its answer',
    labelNames: ['location'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly dispatchHandled = new Counter({
    name: 'bmcgw_dispatch_handled_total',
    help: 'Requests this agent took from the broker, by outcome (ok, error, duplicate, expired)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly authFailures = new Counter({
    name: 'bmcgw_auth_failures_total',
    help: 'Failed authentications, by reason (bad_token, bad_pin)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly authRateLimited = new Counter({
    name: 'bmcgw_auth_rate_limited_total',
    help: 'Requests refused with GW_ERR_RATE_LIMITED, by what was blocked (address, token)',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  readonly dispatchRejected = new Counter({
    name: 'bmcgw_dispatch_rejected_total',
    help: 'Dispatch messages dropped, by message kind (request, reply, announcement) and reason (unsigned, forged, replayed, stale)',
    labelNames: ['kind', 'reason'] as const,
    registers: [this.registry],
  });
  readonly originRefused = new Counter({
    name: 'bmcgw_websocket_origin_refused_total',
    help: 'Viewer WebSockets refused for their Origin',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'bmcgw_' });
  }
}
