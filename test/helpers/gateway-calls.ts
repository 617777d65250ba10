/** A JSON answer of the gateway's HTTP API: its status and parsed body ({} when empty); tests read what they expect from it. */
export interface JsonAnswer {
  status: number;
  body: any;
}

/** POSTs an eq.php call (form fields, as a hosting panel sends them) to a gateway at `gw.url`. */
export async function eqPhp(gw: { url: string }, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  const res = await fetch(`${gw.url}/eq.php`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: await res.json() };
}

/** A REST call with a bearer token (and a JSON body when given). */
export async function restCall(gw: { url: string }, method: string, path: string, token: string, body?: unknown): Promise<JsonAnswer> {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/** Polls `fn` until it gives a value (errors count as "not yet"); throws naming `what` and the last error after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until the dispatch front at `gw.url` lists `count` agents (`GET /api/v1/agents` with an operator token). */
export async function untilAgents(gw: { url: string }, operatorToken: string, count: number, timeoutMs = 15_000): Promise<void> {
  await until(
    `the front to hear from ${count} agent(s)`,
    async () => ((await restCall(gw, 'GET', '/api/v1/agents', operatorToken)).body.agents?.length === count ? true : undefined),
    timeoutMs,
  );
}
