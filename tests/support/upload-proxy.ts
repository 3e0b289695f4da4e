/**
 * A file-upload service stand-in in front of the simulator's: counts uploads and, on demand,
 * refuses them (HTTP 400), so a test can fail a run at its upload step. Loopback, port 0.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UploadProxy {
  url: string;
  /** Uploads received (refused ones included). */
  uploads: number;
  /** Refuse uploads while true. */
  fail: boolean;
  close(): Promise<void>;
}

export async function startUploadProxy(target: string): Promise<UploadProxy> {
  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/api/v1/file/uploads')) {
      proxy.uploads++;
      if (proxy.fail) {
        req.resume();
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"message":"injected upload failure"}');
        return;
      }
    }
    const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: UploadProxy = {
    url: `http://127.0.0.1:${port}`,
    uploads: 0,
    fail: false,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return proxy;
}
