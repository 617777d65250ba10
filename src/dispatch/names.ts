/**
 * Broker object names, all derived from `dispatch.exchange` so that two deployments (or two test
 * runs) on one broker never share a queue.
 */
export function brokerNames(exchange: string) {
  return {
    /** Durable direct exchange for requests. */
    requests: exchange,
    /** Fanout exchange for agent announcements (not durable: announcements are only worth their TTL). */
    announcements: `${exchange}.agents`,
    /** Durable queue shared by the competing agents of a location. */
    locationQueue: (location: string) => `${exchange}.location.${location}`,
    locationKey: (location: string) => `location.${location}`,
    /** One agent's own queue (exclusive, gone with the agent): calls for its sessions. */
    agentQueue: (agentId: string) => `${exchange}.agent.${agentId}`,
    agentKey: (agentId: string) => `agent.${agentId}`,
    /** Holds at most one message: whoever published it first claimed the request (broker-claims.ts). */
    claimQueue: (key: string) => `${exchange}.claim.${key}`,
    /** The claimed request's answer, for the agents that lost the claim. */
    answerQueue: (key: string) => `${exchange}.answer.${key}`,
  };
}

/** Declared the same way by fronts and agents (a mismatch would close the channel, 406). */
export const LOCATION_QUEUE_OPTIONS = { durable: true } as const;
