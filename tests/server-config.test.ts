/**
 * The server's small parts: configuration from the environment, loopback detection, the
 * secret scrubber, and 5xx answers that hide their details (which go to the log).
 */
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Engine } from '@pikflow/engine';
import { isLoopbackAddress, loadConfig, secretScrubber } from '@pikflow/server';
import { describe, expect, test } from 'vitest';
import { http, startTestServer } from './server-support.ts';

describe('loadConfig', () => {
  test('defaults: loopback on 3000, .data, simulator (no key), 25 MB uploads', () => {
    const c = loadConfig({}, '/srv/pikflow');
    expect(c).toMatchObject({ port: 3000, host: '127.0.0.1', dataDir: '/srv/pikflow/.data', requireToken: false, logLevel: 'info' });
    expect(c.freepikApiKey).toBeUndefined();
    expect(c.freepikApiBase).toBe('https://api.freepik.com');
    expect(c.limits.uploadBytes).toBe(25 * 1024 * 1024);
  });

  test('reads every setting', () => {
    const c = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATA_DIR: '/var/lib/pikflow',
      DATABASE_URL: 'postgres://u:p@db/pikflow',
      FREEPIK_API_KEY: 'k',
      FREEPIK_API_BASE: 'https://api.example.com/',
      FREEPIK_WEBHOOK_SECRET: 's',
      PUBLIC_URL: 'https://pikflow.example.com/',
      FILE_SERVICE_URL: 'https://files.example.com',
      PIKFLOW_API_TOKEN: 't',
      PIKFLOW_REQUIRE_TOKEN: 'true',
      LOG_LEVEL: 'debug',
      MAX_UPLOAD_MB: '5',
    });
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/var/lib/pikflow',
      databaseUrl: 'postgres://u:p@db/pikflow',
      freepikApiKey: 'k',
      freepikApiBase: 'https://api.example.com',
      publicUrl: 'https://pikflow.example.com',
      fileServiceUrl: 'https://files.example.com',
      apiToken: 't',
      requireToken: true,
      logLevel: 'debug',
    });
    expect(c.limits.uploadBytes).toBe(5 * 1024 * 1024);
  });

  test('bad values are refused with the variable named', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://x' })).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ MAX_UPLOAD_MB: '0' })).toThrow(/MAX_UPLOAD_MB/);
  });
});

test('isLoopbackAddress', () => {
  for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', 'localhost']) expect(isLoopbackAddress(a), a).toBe(true);
  for (const a of ['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', '0.0.0.0', '::', 'example.com', undefined]) expect(isLoopbackAddress(a), String(a)).toBe(false);
});

test('secretScrubber replaces secret values in every line, JSON-escaped or not', async () => {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c) => chunks.push(String(c)));
  const secret = 'abc"def\\ghi-123456';
  const stream = secretScrubber([secret, 'short', undefined], out);
  stream.write(`{"msg":"key is ${JSON.stringify(secret).slice(1, -1)}"}\n`);
  stream.write(`plain ${secret} short\n`);
  await new Promise((r) => setImmediate(r));
  const text = chunks.join('');
  expect(text).not.toContain('ghi-123456');
  expect(text).toContain('[redacted]');
  expect(text).toContain('short');
});

test('a 5xx says only "Internal error"; the details are in the log with the request id', async () => {
  const broken: Partial<Engine> = {
    config: {} as Engine['config'],
    start: async () => {},
    stop: async () => {},
    getRun: async () => {
      throw new Error('connection to db-7.internal:5432 lost (password=hunter2)');
    },
  };
  const server = await startTestServer({ engine: broken as Engine, config: { freepikApiKey: 'unused-key' } });
  try {
    const r = await http(`${server.url}/api/runs/${randomUUID()}`);
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ error: { code: 'internal', message: 'Internal error' } });
    const requestId = r.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    const line = server.logs.find((l) => l.includes('db-7.internal'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!).reqId).toBe(requestId);
    expect((await http(`${server.url}/api/health`)).status).toBe(200);
  } finally {
    await server.stop();
  }
});
