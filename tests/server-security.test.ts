/**
 * The server as an attacker meets it, over real HTTP on PGlite and PostgreSQL: every attack
 * of issue 11 is refused with its status and a message naming the reason, and afterwards the
 * server is healthy and the runs made before are intact.
 *
 * Two servers per database: "guarded" (PIKFLOW_API_TOKEN + PIKFLOW_REQUIRE_TOKEN, PUBLIC_URL,
 * FREEPIK_WEBHOOK_SECRET, ALLOWED_HOSTS) and "local" (the editor on this machine, no token).
 * Both use the bundled simulator, as `npm start` does.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { request as httpRequest, createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { deflateSync, crc32 } from 'node:zlib';
import { signWebhook, startSimulator, type RunningSimulator } from '@pikflow/freepik-sim';
import type { RunView } from '@pikflow/pipeline';
import { buildApp, loadConfig, reservePort } from '@pikflow/server';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { http, makePng, startTestServer, upload, type HttpResult, type TestServer } from './server-support.ts';
import { DB_KINDS, freshDatabase, tempDir, type FreshDatabase } from './support/test-db.ts';

const TOKEN = `sec_${randomBytes(20).toString('hex')}`;
const SECRET = randomBytes(24).toString('base64url');
const BEARER = { authorization: `Bearer ${TOKEN}` };
const EVIL = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };

const upscaleDocument = () => ({
  version: 1,
  nodes: [
    { id: 'in', type: 'input.image', params: { name: 'photo' }, position: { x: 0, y: 0 } },
    { id: 'up', type: 'freepik.upscaler-precision-v2', params: { scale_factor: 2 }, position: { x: 300, y: 0 } },
    { id: 'out', type: 'output', params: { name: 'image' }, position: { x: 600, y: 0 } },
  ],
  edges: [
    { id: 'e1', source: 'in', sourceHandle: 'image', target: 'up', targetHandle: 'image' },
    { id: 'e2', source: 'up', sourceHandle: 'image', target: 'out', targetHandle: 'value' },
  ],
});

const relightDocument = (params: Record<string, unknown>, label?: string) => ({
  version: 1,
  nodes: [
    { id: 'in', type: 'input.image', params: { name: 'photo' }, position: { x: 0, y: 0 } },
    { id: 'light', type: 'freepik.relight', params, position: { x: 300, y: 0 }, ...(label !== undefined ? { label } : {}) },
    { id: 'out', type: 'output', params: { name: 'image' }, position: { x: 600, y: 0 } },
  ],
  edges: [
    { id: 'e1', source: 'in', sourceHandle: 'image', target: 'light', targetHandle: 'image' },
    { id: 'e2', source: 'light', sourceHandle: 'image', target: 'out', targetHandle: 'value' },
  ],
});

/** A PNG whose header says `width`×`height` (1-bit grey): ~100 KB on disk, gigapixels decoded. */
function bombPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = deflateSync(Buffer.alloc(height * (1 + Math.ceil(width / 8))), { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', rows), chunk('IEND', Buffer.alloc(0))]);
}

/** A request with a Host header of our choosing (fetch does not let one set it). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function expectRefused(r: HttpResult, status: number, reason: RegExp, field?: string) {
  expect(r.status, r.text).toBe(status);
  expect(r.body.error.message).toMatch(reason);
  if (field) expect(r.body.error.field).toBe(field);
}

/** A loopback HTTP server answering every request with `handler` (a local service an SSRF would probe). */
async function localService(handler: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe.each(DB_KINDS)('security on %s', (kind) => {
  const databases: FreshDatabase[] = [];
  let guarded: TestServer;
  let local: TestServer;
  let earlierRun: RunView;
  let localRun: RunView;
  let pipelineId: string;
  let localPipelineId: string;
  let assetId: string;
  let localAssetUrl: string;
  let service: { server: Server; url: string };

  const dbEnv = async (): Promise<Record<string, string>> => {
    if (kind === 'pglite') return {};
    const db = await freshDatabase('postgres');
    databases.push(db);
    return { DATABASE_URL: db.databaseUrl! };
  };

  beforeAll(async () => {
    const port = await reservePort('127.0.0.1');
    guarded = await startTestServer({
      env: {
        ...(await dbEnv()),
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        FREEPIK_WEBHOOK_SECRET: SECRET,
        PIKFLOW_API_TOKEN: TOKEN,
        PIKFLOW_REQUIRE_TOKEN: 'true',
        ALLOWED_HOSTS: 'pikflow.test, .corp.test',
      },
      simulatorOptions: { latencyMs: 150 },
    });
    local = await startTestServer({ env: { ...(await dbEnv()), HEADERS_TIMEOUT_SECONDS: '1' }, simulatorOptions: { latencyMs: 150 } });
    service = await localService((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('internal admin page'));

    // Runs made before the attacks, on both servers; afterwards they must be intact.
    const created = await http(`${guarded.url}/api/pipelines`, { method: 'POST', headers: BEARER, json: { name: 'Upscale', document: upscaleDocument() } });
    expect(created.status).toBe(201);
    pipelineId = created.body.id;
    const up = await upload(guarded.url, await makePng(64, 48), 'photo.png', 'image/png', BEARER);
    expect(up.status).toBe(201);
    assetId = up.body.assetId;
    const run = await http<RunView>(`${guarded.url}/api/pipelines/${pipelineId}/runs?wait=true&timeout=120`, { method: 'POST', headers: BEARER, json: { inputs: { photo: assetId } } });
    expect(run.status, run.text).toBe(200);
    expect(run.body.status).toBe('succeeded');
    earlierRun = run.body;

    const localCreated = await http(`${local.url}/api/pipelines`, { method: 'POST', json: { name: 'Upscale', document: upscaleDocument() } });
    localPipelineId = localCreated.body.id;
    const localUp = await upload(local.url, await makePng(48, 32));
    localAssetUrl = localUp.body.url;
    const again = await http<RunView>(`${local.url}/api/pipelines/${localPipelineId}/runs?wait=true&timeout=120`, { method: 'POST', json: { inputs: { photo: localUp.body.assetId } } });
    expect(again.body.status).toBe('succeeded');
    localRun = again.body;
  });

  afterAll(async () => {
    await guarded?.stop();
    await local?.stop();
    await new Promise((r) => service?.server.close(r));
    for (const db of databases) await db.drop();
  });

  describe('1. the token is checked on what was routed, not on a spelling of the URL', () => {
    test('percent-encoded /api paths need the token like the plain ones', async () => {
      for (const path of ['/%61pi/runs', '/api/%72uns', '/%61%70%69/pipelines', `/%61pi/runs/${earlierRun.id}`]) {
        const r = await http(`${guarded.url}${path}`);
        expectRefused(r, 401, /bearer token/, 'authorization');
      }
      const start = await http(`${guarded.url}/%61pi/pipelines/${pipelineId}/runs`, { method: 'POST', json: { inputs: { photo: assetId } } });
      expectRefused(start, 401, /bearer token/);
      // The same encoded path with the token reaches the real route: the guard is not a string match.
      const withToken = await http(`${guarded.url}/%61pi/runs/${earlierRun.id}`, { headers: BEARER });
      expect(withToken.status).toBe(200);
      expect(withToken.body.id).toBe(earlierRun.id);
    });

    test('default-deny: every API operation in the OpenAPI document refuses a call without the token unless it is public', async () => {
      const doc = (await http(`${guarded.url}/docs/json`)).body as { paths: Record<string, Record<string, { security?: unknown[] }>> };
      const publicOps: string[] = [];
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const url = path.replace(/\{[^}]+\}/g, randomUUID());
          if (Array.isArray(op.security) && op.security.length === 0) {
            publicOps.push(`${method.toUpperCase()} ${path}`);
            continue;
          }
          const r = await http(`${guarded.url}${url}`, { method: method.toUpperCase(), ...(method === 'get' ? {} : { json: {} }) });
          expect(r.status, `${method} ${path}`).toBe(401);
        }
      }
      expect(publicOps.sort()).toEqual(['GET /api/assets/{id}', 'GET /api/health', 'POST /api/webhooks/freepik']);
    });
  });

  test('/docs lists the bearer scheme, and every API operation its 400, 401 and 403 answers', async () => {
    const doc = (await http(`${guarded.url}/docs/json`)).body as {
      components: { securitySchemes: Record<string, unknown> };
      security: unknown[];
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ name: `${method} ${path}`, op })));
    expect(operations.length).toBeGreaterThan(15);
    for (const { name, op } of operations) expect(Object.keys(op.responses), name).toEqual(expect.arrayContaining(['400', '401', '403']));
  });

  describe('2. DNS rebinding: only host names this server answers to', () => {
    test('a foreign Host is refused with 403 and the reason, even from loopback and even with the token', async () => {
      for (const host of ['evil.example', `rebind.attacker.test:${new URL(local.url).port}`, 'localhost.evil.example']) {
        const r = await rawGet(`${local.url}/api/runs`, { host });
        expect(r.status, host).toBe(403);
        expect(r.body.error.message).toMatch(/does not answer to the host name/);
        expect(r.body.error.message).toMatch(/ALLOWED_HOSTS/);
      }
      const withToken = await rawGet(`${guarded.url}/api/runs`, { host: 'evil.example', ...BEARER });
      expect(withToken.status).toBe(403);
      const editor = await rawGet(`${local.url}/`, { host: 'evil.example' });
      expect(editor.status).toBe(403);
    });

    test('the bundled simulator (its /__sim routes have no key) answers only IP literals and localhost', async () => {
      const sim = local.app.pikflow.simulator!;
      const evil = await rawGet(`${sim.url}/__sim/config`, { host: 'rebind.attacker.test' });
      expect(evil.status).toBe(403);
      expect(evil.body.message).toBe('Host not allowed');
      expect((await rawGet(`${sim.url}/__sim/config`, { host: `127.0.0.1:${sim.port}` })).status).toBe(200);
      expect((await rawGet(`${sim.url}/__sim/config`, { host: `localhost:${sim.port}` })).status).toBe(200);
    });

    test('loopback names, IP literals, PUBLIC_URL and ALLOWED_HOSTS are answered', async () => {
      const port = new URL(guarded.url).port;
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `app.localhost:${port}`, `[::1]:${port}`, 'pikflow.test', 'builds.corp.test', 'corp.test']) {
        const r = await rawGet(`${guarded.url}/api/runs`, { host, ...BEARER });
        expect(r.status, host).toBe(200);
      }
    });
  });

  describe('3. CSRF: changes come from this server\'s own pages or carry the token', () => {
    test('cross-site template pipelines, cancels and uploads are refused with 403 saying why', async () => {
      const tpl = await http(`${local.url}/api/templates/photo-restoration/pipelines`, { method: 'POST', headers: EVIL });
      expectRefused(tpl, 403, /Cross-site request refused: Sec-Fetch-Site is "cross-site"/, 'origin');
      const cancel = await http(`${local.url}/api/runs/${localRun.id}/cancel`, { method: 'POST', headers: { origin: 'https://evil.example' } });
      expectRefused(cancel, 403, /Origin "https:\/\/evil.example" is not this server/);
      const up = await upload(local.url, await makePng(8, 8), 'x.png', 'image/png', EVIL);
      expectRefused(up, 403, /Cross-site/);
      const nullOrigin = await http(`${local.url}/api/pipelines`, { method: 'POST', headers: { origin: 'null' }, json: { name: 'x', document: upscaleDocument() } });
      expectRefused(nullOrigin, 403, /not this server/);
      const sameSite = await http(`${local.url}/api/pipelines/${localPipelineId}`, { method: 'DELETE', headers: { 'sec-fetch-site': 'same-site' } });
      expectRefused(sameSite, 403, /same-site/);
      expect((await http(`${local.url}/api/pipelines/${localPipelineId}`)).status).toBe(200);
    });

    test('the editor (same origin), curl (no Origin) and token holders may change things', async () => {
      const sameOrigin = await http(`${local.url}/api/templates/photo-restoration/pipelines`, { method: 'POST', headers: { origin: local.url, 'sec-fetch-site': 'same-origin' } });
      expect(sameOrigin.status).toBe(201);
      const curl = await upload(local.url, await makePng(8, 8));
      expect(curl.status).toBe(201);
      const tokenHolder = await http(`${guarded.url}/api/templates/photo-restoration/pipelines`, { method: 'POST', headers: { ...EVIL, ...BEARER } });
      expect(tokenHolder.status).toBe(201);
    });
  });

  describe('4. security headers on every response', () => {
    test('CSP with frame-ancestors, X-Frame-Options and nosniff on the editor, the API, errors and /docs', async () => {
      for (const path of ['/', '/api/health', '/api/nope', '/docs/json', `/api/runs/${randomUUID()}`]) {
        const r = await fetch(`${local.url}${path}`);
        const csp = r.headers.get('content-security-policy') ?? '';
        expect(csp, path).toContain("frame-ancestors 'self'");
        expect(csp, path).toContain("script-src 'self'");
        expect(r.headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
        expect(r.headers.get('x-content-type-options'), path).toBe('nosniff');
        await r.arrayBuffer();
      }
      const stream = await fetch(`${local.url}/api/runs/${localRun.id}/events`);
      expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
      expect(stream.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
      await stream.body?.cancel();
      // Stored files keep their stricter sandbox.
      const file = await fetch(`${guarded.url}/api/assets/${assetId}`);
      expect(file.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
      await file.arrayBuffer();
    });
  });

  describe('5. URLs in node settings follow the URL rules (SSRF)', () => {
    test('saving a Relight node that points at loopback is refused, naming node and field', async () => {
      for (const url of [`${service.url}/`, `${local.url}/api/runs`, 'http://169.254.169.254/latest/meta-data/', 'http://[::1]:9/x.png']) {
        const r = await http(`${local.url}/api/pipelines`, { method: 'POST', json: { name: 'ssrf', document: relightDocument({ transfer_light_from_reference_image: url }) } });
        expect(r.status, url).toBe(400);
        expect(r.body.error).toMatchObject({ code: 'validation_failed', nodeId: 'light', field: 'transfer_light_from_reference_image' });
        expect(r.body.error.message).toMatch(/private, loopback|local host name/);
      }
    });

    test('a draft saved with such a URL cannot run: the trigger names node and field', async () => {
      const draft = await http(`${local.url}/api/pipelines?draft=true`, {
        method: 'POST',
        json: { name: 'ssrf draft', document: relightDocument({ transfer_light_from_reference_image: `${service.url}/` }) },
      });
      expect(draft.status).toBe(201);
      expect(draft.body.problems[0]).toMatchObject({ nodeId: 'light', field: 'transfer_light_from_reference_image' });
      const run = await http(`${local.url}/api/pipelines/${draft.body.id}/runs`, { method: 'POST', json: { inputs: { photo: assetId } } });
      expect(run.status).toBe(400);
      expect(run.body.error.problems[0]).toMatchObject({ nodeId: 'light', field: 'transfer_light_from_reference_image' });
    });

    test('the bundled simulator fetches no loopback service but this server, and every refusal reads the same', async () => {
      const sim = local.app.pikflow.simulator!;
      const key = sim.config.apiKeys[0]!;
      const image = (url: string) =>
        http(`${sim.url}/v1/ai/image-relight`, { method: 'POST', headers: { 'x-freepik-api-key': key }, json: { image: url, prompt: 'warm light' } });
      const closed = await reservePort('127.0.0.1');
      const refusals = await Promise.all([`${service.url}/a.png`, `http://127.0.0.1:${closed}/a.png`, 'http://10.0.0.1/a.png'].map(image));
      for (const r of refusals) {
        expect(r.status).toBe(400);
        expect(JSON.stringify(r.body)).toContain('it points at a private or loopback address');
      }
      expect(new Set(refusals.map((r) => JSON.stringify(r.body.invalid_params))).size).toBe(1);
      // This server's own asset URLs (what URL hand-off sends) are still fetched.
      const own = await image(`${local.url}${localAssetUrl}`);
      expect(own.status, own.text).toBe(200);
    });
  });

  test('5. the simulator follows no redirect to a private address and refuses decompression bombs', async () => {
    // Standalone, the simulator may fetch from loopback (it stands in for the internet there),
    // but a redirect never leads it to a private or loopback address.
    const sim = await startSimulator({ apiKeys: ['k'], webhookSecret: SECRET, rateLimits: false });
    const png = await makePng(32, 32);
    const image = await localService((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(png));
    const redirector = await localService((_req, res) => res.writeHead(302, { location: `${image.url}/a.png` }).end());
    const relight = (img: string) => http(`${sim.url}/v1/ai/image-relight`, { method: 'POST', headers: { 'x-freepik-api-key': 'k' }, json: { image: img, prompt: 'warm' } });
    try {
      expect((await relight(`${image.url}/a.png`)).status).toBe(200);
      const redirected = await relight(`${redirector.url}/go`);
      expect(redirected.status).toBe(400);
      expect(JSON.stringify(redirected.body)).toContain('it points at a private or loopback address');
      const bomb = await relight(`data:image/png;base64,${bombPng(20_000, 20_000).toString('base64')}`);
      expect(bomb.status).toBe(400);
      expect(JSON.stringify(bomb.body)).toMatch(/too large: 20000×20000 pixels/);
    } finally {
      await sim.close();
      await new Promise((r) => image.server.close(r));
      await new Promise((r) => redirector.server.close(r));
    }
  });

  describe('6–8. bad input is a 4xx in the envelope, naming the field and the reason', () => {
    const post = (server: () => TestServer, path: string, body: string, headers: Record<string, string> = {}) =>
      http(`${server().url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...BEARER, ...headers } });

    test('NUL characters in a pipeline name, a node label and a prompt', async () => {
      expectRefused(await http(`${guarded.url}/api/pipelines`, { method: 'POST', headers: BEARER, json: { name: 'a\u0000b', document: upscaleDocument() } }), 400, /NUL/, 'name');
      const label = await http(`${guarded.url}/api/pipelines`, { method: 'POST', headers: BEARER, json: { name: 'x', document: relightDocument({}, 'evil\u0000label') } });
      expectRefused(label, 400, /NUL/, 'document.nodes.1.label');
      const prompt = await http(`${guarded.url}/api/pipelines`, { method: 'POST', headers: BEARER, json: { name: 'x', document: relightDocument({ prompt: 'warm\u0000light' }) } });
      expectRefused(prompt, 400, /NUL/, 'document.nodes.1.params.prompt');
      const input = await http(`${guarded.url}/api/pipelines/${pipelineId}/runs`, { method: 'POST', headers: BEARER, json: { inputs: { photo: `${assetId}\u0000` } } });
      expectRefused(input, 400, /NUL/, 'inputs.photo');
    });

    test('a lone UTF-16 surrogate in a parameter', async () => {
      const body = JSON.stringify({ name: 'x', document: relightDocument({ prompt: 'PLACEHOLDER' }) }).replace('PLACEHOLDER', '\\ud800');
      expectRefused(await post(() => guarded, '/api/pipelines', body), 400, /lone UTF-16 surrogate/, 'document.nodes.1.params.prompt');
    });

    test('10,000-deep nested arrays in a draft\'s params', async () => {
      const deep = '['.repeat(10_000) + ']'.repeat(10_000);
      const body = JSON.stringify({ name: 'deep', document: relightDocument({ prompt: 'PLACEHOLDER' }) }).replace('"PLACEHOLDER"', deep);
      const r = await post(() => guarded, '/api/pipelines?draft=true', body);
      expectRefused(r, 400, /nested more than 64 levels deep/);
      expect(r.body.error.field).toMatch(/^document\.nodes\.1\.params\.prompt/);
    });

    test('multipart uploads with no boundary or a garbage body', async () => {
      const noBoundary = await http(`${guarded.url}/api/assets`, { method: 'POST', headers: { ...BEARER, 'content-type': 'multipart/form-data' }, body: 'hello' });
      expectRefused(noBoundary, 400, /no boundary/, 'file');
      const garbage = await http(`${guarded.url}/api/assets`, { method: 'POST', headers: { ...BEARER, 'content-type': 'multipart/form-data; boundary=xyz' }, body: 'garbage, not a form' });
      expectRefused(garbage, 400, /multipart body could not be read/, 'file');
    });

    test('inputs named __proto__ or constructor are refused when saved', async () => {
      for (const name of ['__proto__', 'constructor']) {
        const doc = upscaleDocument();
        doc.nodes[0]!.params = { name };
        const r = await http(`${guarded.url}/api/pipelines`, { method: 'POST', headers: BEARER, json: { name: 'proto', document: doc } });
        expect(r.status).toBe(400);
        expect(r.body.error).toMatchObject({ nodeId: 'in', field: 'name' });
        expect(r.body.error.message).toMatch(/reserved/);
      }
    });

    test('a __proto__ key is named as such, not called invalid JSON', async () => {
      const r = await post(() => guarded, `/api/pipelines/${pipelineId}/runs`, '{"inputs": {"__proto__": {"photo": "x"}}}');
      expectRefused(r, 400, /the key "__proto__" is not allowed/, 'inputs.__proto__');
      const ctor = await post(() => guarded, `/api/pipelines/${pipelineId}/runs`, '{"inputs": {"constructor": {"prototype": {"x": 1}}}}');
      expectRefused(ctor, 400, /the key "prototype" is not allowed/, 'inputs.constructor.prototype');
    });

    test('prompts have a length limit', async () => {
      const r = await http(`${guarded.url}/api/pipelines`, { method: 'POST', headers: BEARER, json: { name: 'long', document: relightDocument({ prompt: 'light '.repeat(5000) }) } });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ nodeId: 'light', field: 'prompt' });
      expect(r.body.error.message).toMatch(/at most \d+ characters/);
    });

    test('a truncated JPEG is refused as an asset; a decompression bomb is "too large" with the limit', async () => {
      const jpeg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#845' } }).jpeg().toBuffer();
      expectRefused(await upload(guarded.url, jpeg.subarray(0, jpeg.length >> 1), 'half.jpg', 'image/jpeg', BEARER), 400, /damaged or truncated/, 'file');
      const bomb = await upload(guarded.url, bombPng(30_000, 30_000), 'bomb.png', 'image/png', BEARER);
      expectRefused(bomb, 413, /too large: 30000×30000 pixels .*at most 100 megapixels/, 'file');
    });

    test('an upload with five files is refused, not cut to the first', async () => {
      const form = new FormData();
      const png = await makePng(8, 8);
      for (let i = 0; i < 5; i++) form.append(`file${i}`, new Blob([png], { type: 'image/png' }), `p${i}.png`);
      const r = await http(`${guarded.url}/api/assets`, { method: 'POST', headers: BEARER, body: form });
      expectRefused(r, 400, /has 5 files; send one file per request/, 'file');
    });

    test('a 7 KB id in a URL gets the standard envelope', async () => {
      const r = await http(`${guarded.url}/api/runs/${'a'.repeat(7000)}`, { headers: BEARER });
      expect(r.status).toBe(414);
      expect(r.body.error.code).toBe('invalid_request');
      expect(r.body.error.message).toMatch(/too long/);
      expect(r.text.length).toBeLessThan(500);
    });

    test('a trigger with no body says a JSON body with inputs is required', async () => {
      for (const init of [{ body: 'null', headers: { 'content-type': 'application/json' } }, {}]) {
        const r = await http(`${guarded.url}/api/pipelines/${pipelineId}/runs`, { method: 'POST', ...init, headers: { ...BEARER, ...(init.headers ?? {}) } });
        expectRefused(r, 400, /JSON object body with "inputs" is required/, 'body');
      }
    });

    test('no request above left a 5xx in the log', () => {
      for (const server of [guarded, local]) expect(server.logs.filter((l) => /"level":50/.test(l))).toEqual([]);
    });
  });

  describe('9. webhooks with a configured secret', () => {
    test('the bundled simulator signs with FREEPIK_WEBHOOK_SECRET: the earlier run was told by webhook', () => {
      expect(guarded.logs.some((l) => l.includes('webhook accepted'))).toBe(true);
      expect(guarded.logs.some((l) => l.includes('webhook refused'))).toBe(false);
    });

    test('a refused webhook is logged as a warning with the reason', async () => {
      const body = JSON.stringify({ task_id: earlierRun.nodes[1]!.taskId, status: 'COMPLETED', generated: [] });
      const id = `msg_${randomUUID()}`;
      const ts = Math.floor(Date.now() / 1000);
      const r = await http(`${guarded.url}/api/webhooks/freepik`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook('wrong-secret', id, ts, body) },
      });
      expect(r.status).toBe(401);
      const line = guarded.logs.find((l) => l.includes('webhook refused') && l.includes(id));
      expect(line).toBeDefined();
      expect(JSON.parse(line!)).toMatchObject({ level: 40, reason: expect.stringMatching(/signature/i) });
    });
  });

  describe('10. slow clients and body limits', () => {
    test('explicit request, header and keep-alive timeouts; a client that never finishes its headers is cut off', async () => {
      const server = local.app.server;
      expect(server.requestTimeout).toBe(120_000);
      expect(server.headersTimeout).toBe(1_000);
      expect(server.keepAliveTimeout).toBe(10_000);
      const socket = connect(Number(new URL(local.url).port), '127.0.0.1');
      socket.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      let answer = '';
      socket.on('data', (c) => (answer += c.toString()));
      const closed = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 30_000);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
        socket.on('error', () => undefined);
      });
      socket.destroy();
      expect(closed).toBe(true);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    });

    test('routes without documents take small bodies only, and say the limit', async () => {
      const big = JSON.stringify({ name: 'x'.repeat(100 * 1024) });
      const r = await http(`${guarded.url}/api/templates/photo-restoration/pipelines`, { method: 'POST', body: big, headers: { ...BEARER, 'content-type': 'application/json' } });
      expectRefused(r, 413, /at most 64 KB/);
    });

    test('exposed, the server caps its connections', async () => {
      const dataDir = tempDir('pikflow-exposed-');
      const config = loadConfig({ HOST: '0.0.0.0', PORT: '0', PIKFLOW_API_TOKEN: TOKEN, MAX_CONNECTIONS: '77', LOG_LEVEL: 'silent', DATA_DIR: dataDir });
      const sim: RunningSimulator = await startSimulator({ apiKeys: ['k'], webhookSecret: SECRET });
      const app = await buildApp({ config: { ...config, freepikApiKey: 'k' }, simulator: sim });
      try {
        expect(app.server.maxConnections).toBe(77);
      } finally {
        await app.close();
        await sim.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
      expect(local.app.server.maxConnections).not.toBe(77);
    });
  });

  test('afterwards both servers are healthy and the earlier runs are intact', async () => {
    expect((await http(`${guarded.url}/api/health`)).body.status).toBe('ok');
    expect((await http(`${local.url}/api/health`)).body.status).toBe('ok');
    const again = await http<RunView>(`${guarded.url}/api/runs/${earlierRun.id}`, { headers: BEARER });
    expect(again.body.status).toBe('succeeded');
    expect(again.body.outputs).toEqual(earlierRun.outputs);
    const localAgain = await http<RunView>(`${local.url}/api/runs/${localRun.id}`);
    expect(localAgain.body.status).toBe('succeeded');
    expect(localAgain.body.outputs).toEqual(localRun.outputs);
    expect((await http(`${guarded.url}/api/pipelines/${pipelineId}`, { headers: BEARER })).status).toBe(200);
  });
});

test('ALLOWED_HOSTS and the slow-client limits are read from the environment; a bad host list is refused by name', () => {
  const c = loadConfig({ ALLOWED_HOSTS: 'Pikflow.Example.com, .corp.test', REQUEST_TIMEOUT_SECONDS: '30', HEADERS_TIMEOUT_SECONDS: '5', MAX_CONNECTIONS: '64' });
  expect(c.allowedHosts).toEqual(['pikflow.example.com', '.corp.test']);
  expect(c.limits).toMatchObject({ requestTimeoutMs: 30_000, headersTimeoutMs: 5_000, maxConnections: 64 });
  expect(loadConfig({}).allowedHosts).toEqual([]);
  expect(() => loadConfig({ ALLOWED_HOSTS: 'https://pikflow.example.com' })).toThrow(/ALLOWED_HOSTS/);
});
