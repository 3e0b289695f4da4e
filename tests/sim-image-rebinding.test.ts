import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostResolver, type RunningSimulator, startSimulator } from '@pikflow/freepik-sim';

/**
 * DNS rebinding against the simulator's image download (issue 11, item 5): a name that
 * answers a public address to the check and 127.0.0.1 to the connection must not reach
 * loopback. The resolver is injected, so no real DNS or internet is involved: the
 * "public" answer is only ever checked, never dialled.
 */

const PRECISION = '/v1/ai/image-upscaler-precision-v2';
const PRIVATE_TARGET = 'it points at a private or loopback address';
const PUBLIC_ADDRESS = '93.184.216.34';

interface LocalService {
  server: Server;
  port: number;
  url: string;
  hits: string[];
}

async function localService(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<LocalService> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, port, url: `http://127.0.0.1:${port}`, hits };
}

/** A resolver that answers `first` to the first question about a name and 127.0.0.1 afterwards. */
function rebindingResolver(first: string): { resolve: HostResolver; asked: Map<string, number> } {
  const asked = new Map<string, number>();
  const resolve: HostResolver = async (hostname) => {
    const n = (asked.get(hostname) ?? 0) + 1;
    asked.set(hostname, n);
    return [{ address: n === 1 ? first : '127.0.0.1', family: 4 }];
  };
  return { resolve, asked };
}

let png: Buffer;
let loopback: LocalService;

beforeAll(async () => {
  png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#3366ff' } }).png().toBuffer();
  loopback = await localService((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(png));
});
afterAll(async () => {
  await new Promise((resolve) => loopback?.server.close(resolve));
});

async function upscale(sim: RunningSimulator, image: string) {
  const response = await fetch(`${sim.url}${PRECISION}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-freepik-api-key': 'key' },
    body: JSON.stringify({ image, scale_factor: 2 }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe('simulator image download pins the checked address on the connection', () => {
  it('refuses a name that resolves public to the check and 127.0.0.1 to the connection, and never reaches loopback', async () => {
    const { resolve, asked } = rebindingResolver(PUBLIC_ADDRESS);
    // Inside Pikflow: no private origin is trusted.
    const sim = await startSimulator({ latencyMs: 0, privateImageOrigins: [], resolveHost: resolve });
    try {
      const before = loopback.hits.length;
      const answer = await upscale(sim, `http://rebind.example:${loopback.port}/photo.png`);
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body)).toContain(PRIVATE_TARGET);
      // Asked twice: once by the early check (public), once by the connection (loopback, refused).
      expect(asked.get('rebind.example')).toBe(2);
      expect(loopback.hits.length).toBe(before);
    } finally {
      await sim.close();
    }
  });

  it('applies the same connection check to a redirect target', async () => {
    const { resolve, asked } = rebindingResolver(PUBLIC_ADDRESS);
    const redirector = await localService((_req, res) =>
      res.writeHead(302, { location: `http://rebind-hop.example:${loopback.port}/photo.png` }).end(),
    );
    // The redirector's own origin is trusted (as the Pikflow server is); where it points is not.
    const sim = await startSimulator({ latencyMs: 0, privateImageOrigins: [redirector.url], resolveHost: resolve });
    try {
      const before = loopback.hits.length;
      const answer = await upscale(sim, `${redirector.url}/go`);
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body)).toContain(PRIVATE_TARGET);
      expect(redirector.hits).toEqual(['/go']);
      expect(asked.get('rebind-hop.example')).toBe(2);
      expect(loopback.hits.length).toBe(before);
    } finally {
      await sim.close();
      await new Promise((r) => redirector.server.close(r));
    }
  });

  it('dials the address its resolver gave when private origins are allowed (the standalone default)', async () => {
    // Control: the connection really uses the injected resolver, so the two refusals above
    // are the connection's check, not some other failure.
    const asked: string[] = [];
    const resolve: HostResolver = async (hostname) => {
      asked.push(hostname);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const sim = await startSimulator({ latencyMs: 0, privateImageOrigins: 'any', resolveHost: resolve });
    try {
      const before = loopback.hits.length;
      const answer = await upscale(sim, `http://images.example:${loopback.port}/photo.png`);
      expect(answer.status).toBe(200);
      expect(answer.body.data.task_id).toEqual(expect.any(String));
      expect(asked).toContain('images.example');
      expect(loopback.hits.length).toBe(before + 1);
    } finally {
      await sim.close();
    }
  });
});
