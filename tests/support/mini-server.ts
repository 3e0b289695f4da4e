/**
 * The two routes Freepik needs from a Pikflow server, for engine tests and the benchmark
 * (the real server is the next issue): POST /api/webhooks/freepik and GET /api/assets/:id.
 */
import { createReadStream } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isPikflowError } from '@pikflow/catalog';
import type { Engine } from '@pikflow/engine';

export interface MiniServer {
  url: string;
  webhooks: { accepted: number; refused: number };
  close(): Promise<void>;
}

export async function startMiniServer(getEngine: () => Engine, port = 0): Promise<MiniServer> {
  const webhooks = { accepted: 0, refused: 0 };
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://mini');
      if (req.method === 'POST' && url.pathname === '/api/webhooks/freepik') {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        await getEngine().acceptWebhook({ headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8'), query: Object.fromEntries(url.searchParams) });
        webhooks.accepted++;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        return;
      }
      const match = /^\/api\/assets\/([0-9a-f-]{36})$/.exec(req.url ?? '');
      if (req.method === 'GET' && match) {
        const engine = getEngine();
        const asset = await engine.assets.get(match[1]!);
        if (!asset) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': asset.mime, 'content-length': String(asset.size ?? '') });
        createReadStream(engine.assets.pathOf(asset)).pipe(res);
        return;
      }
      res.writeHead(404).end();
    } catch (error) {
      if (isPikflowError(error)) {
        if (error.code === 'webhook_rejected') webhooks.refused++;
        res.writeHead(error.httpStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ error: error.toJSON() }));
      } else {
        res.writeHead(500).end();
      }
    }
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    webhooks,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
