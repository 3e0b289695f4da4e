/**
 * Requests as the seeds document them, as they leave the engine's HTTP client (the only
 * client): list filters repeat their key, stock endpoints carry Accept-Language, and
 * the default status polling stays within seed 000's "every 2-5 seconds".
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getNode, type HttpExecution } from '@pikflow/catalog';
import { DEFAULT_POLL, engineConfigFromEnv } from '@pikflow/engine';
import { FreepikClient } from '../packages/engine/src/freepik-client.ts';

let server: Server;
let base: string;
const seen: { url: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[],"meta":{}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Builds a node's request from typed params and sends it with the engine's client. */
async function sendAs(nodeId: string, params: Record<string, unknown>) {
  const def = getNode(nodeId)!;
  const exec = def.execution as HttpExecution<Record<string, unknown>>;
  const request = exec.request({ params: def.params.parse(params) as Record<string, unknown>, inputs: {}, idempotencyKey: 'k' });
  const client = new FreepikClient({ freepikBaseUrl: base, apiKey: 'seed-key', fileServiceUrl: base, logger: pino({ level: 'silent' }) });
  seen.length = 0;
  const result = await client.submit('freepik', request, pino({ level: 'silent' }));
  await client.close();
  expect(result.kind).toBe('accepted');
  expect(seen).toHaveLength(1);
  return { request, ...seen[0]!, query: new URL(seen[0]!.url, base).searchParams };
}

describe('requests as the seeds document them', () => {
  it('several filters[icon_type][] values repeat the key, one value each (S4:7022)', async () => {
    const { query } = await sendAs('freepik.stock-icons-search', { term: 'cat', filters: { icon_type: ['standard', 'sticker'], shape: 'outline' } });
    expect(query.getAll('filters[icon_type][]')).toEqual(['standard', 'sticker']);
    expect(query.get('filters[shape]')).toBe('outline');
    expect([...query.values()].some((v) => v.includes(','))).toBe(false);
  });

  it.each([
    ['freepik.stock-resources-search', { term: 'perro' }],
    ['freepik.stock-icons-search', { term: 'perro' }],
    ['freepik.stock-icon-detail', { id: 7 }],
    ['freepik.stock-icon-download', { id: 7 }],
    ['freepik.stock-resource-download', { 'resource-id': 7 }],
  ])('%s sends Accept-Language when set, and none otherwise (Freepik then uses en-US)', async (id, params) => {
    const withLanguage = await sendAs(id, { ...params, 'Accept-Language': 'es-ES' });
    expect(withLanguage.headers['accept-language']).toBe('es-ES');
    // The key stays the client's own, whatever the request says.
    expect(withLanguage.headers['x-freepik-api-key']).toBe('seed-key');
    const without = await sendAs(id, params);
    expect(without.headers['accept-language']).toBeUndefined();
  });

  it('Accept-Language takes a language code only (a header value cannot smuggle anything)', () => {
    const search = getNode('freepik.stock-resources-search')!;
    for (const ok of ['en-US', 'es', 'pt-BR']) expect(search.params.safeParse({ 'Accept-Language': ok }).success).toBe(true);
    for (const bad of ['english', 'en-US\r\nX-Evil: 1', '', 'en_US']) expect(search.params.safeParse({ 'Accept-Language': bad }).success).toBe(false);
  });

  it('the node that downloads a resource in a format documents no Accept-Language, so offers none', () => {
    expect(Object.keys(getNode('freepik.stock-resource-download-format')!.params.shape)).not.toContain('Accept-Language');
  });

  it('default polling checks every 2–5 s (seed 000), and POLL_* settings change it', () => {
    const { poll } = engineConfigFromEnv({});
    expect(poll).toEqual(DEFAULT_POLL);
    // The executor waits min(maxDelay, initial·factor^n) before check n + 1.
    const waits = Array.from({ length: 12 }, (_, n) => Math.min(poll.maxDelayMs, poll.initialDelayMs * poll.factor ** n));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(2_000);
    expect(Math.max(...waits)).toBeLessThanOrEqual(5_000);
    expect(engineConfigFromEnv({ POLL_MAX_DELAY_MS: '15000' }).poll.maxDelayMs).toBe(15_000);
  });
});
