/** A proxy in front of the simulator that loses submission answers, for ambiguity tests. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Forwards to the simulator; drops the client connection after the first POST to `path` was
 * answered upstream (unless `armed: false`; `arm()` re-arms). `armPair()`: of the next two such POSTs, the first is dropped before it
 * reaches the simulator (no task) and the second after (a task nobody knows about).
 */
export async function startLossyProxy(target: string, path: string, options: { armed?: boolean; holdMs?: number } = {}) {
  let dropNext = options.armed ?? true;
  /** POSTs to `path` received (forwarded or not). */
  let posts = 0;
  let dropBeforeNext = false;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'POST' && req.url === path) posts++;
    if (req.method === 'POST' && req.url === path && dropBeforeNext) {
      dropBeforeNext = false;
      req.socket.destroy(); // never forwarded: no task exists
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
    const upstream = await fetch(target + req.url, {
      method: req.method,
      headers,
      body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    // `holdMs`: the task exists upstream, its answer is held back (a POST still waiting for Freepik).
    if (req.method === 'POST' && req.url === path && options.holdMs) await new Promise((r) => setTimeout(r, options.holdMs));
    if (req.method === 'POST' && req.url === path && dropNext) {
      dropNext = false;
      req.socket.destroy(); // the task exists upstream; its id never reaches the engine
      return;
    }
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts: () => posts,
    arm: () => (dropNext = true),
    /** The next POST to `path` is dropped before it reaches the simulator: no task exists. */
    armBefore: () => (dropBeforeNext = true),
    armPair: () => {
      dropBeforeNext = true;
      dropNext = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
