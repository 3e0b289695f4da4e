import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FreepikClient, encodeBody, type RequestTag, type RetryNotice } from './freepik-client.ts';

describe('encodeBody', () => {
  it('sends JSON bodies as JSON and form bodies URL-encoded', () => {
    expect(encodeBody({ method: 'POST', path: '/x', body: { prompt: 'a "b"', n: 2 } })).toEqual({
      body: '{"prompt":"a \\"b\\"","n":2}',
      contentType: 'application/json',
    });
    expect(encodeBody({ method: 'POST', path: '/x', encoding: 'form', body: { a: 'x y', b: { c: 1 }, skip: undefined } })).toEqual({
      body: 'a=x+y&b=%7B%22c%22%3A1%7D',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(encodeBody({ method: 'GET', path: '/x', body: { a: 1 } })).toEqual({});
  });

  it('builds multipart/form-data with the file bytes intact and header values that cannot break out', () => {
    const data = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x00, 0xff]);
    const { body, contentType } = encodeBody({
      method: 'POST',
      path: '/upload',
      encoding: 'multipart',
      body: { key: 'k1', file: { kind: 'file', filename: 'evil"\r\nX-Injected: 1.png', contentType: 'image/png', data }, meta: { a: 1 } },
    });
    const boundary = /boundary=(.+)$/.exec(contentType!)![1]!;
    const raw = body as Buffer;
    const text = raw.toString('latin1');
    const parts = text.split(`--${boundary}`);
    expect(parts.at(-1)).toBe('--\r\n');
    expect(parts[1]).toBe('\r\nContent-Disposition: form-data; name="key"\r\n\r\nk1\r\n');
    expect(parts[2]).toContain('filename="evil%22%0D%0AX-Injected: 1.png"');
    expect(parts[2]).not.toContain('\r\nX-Injected');
    expect(parts[2]).toContain('Content-Type: image/png\r\n\r\n');
    const start = raw.indexOf(Buffer.from('\r\n\r\n', 'latin1'), raw.indexOf(Buffer.from('filename='))) + 4;
    expect([...raw.subarray(start, start + data.length)]).toEqual([...data]);
    expect(parts[3]).toBe('\r\nContent-Disposition: form-data; name="meta"\r\n\r\n{"a":1}\r\n');
  });
});

describe('retry notices', () => {
  const quiet = pino({ level: 'silent' });
  /** A port nobody listens on: every connection is refused, so nothing was sent and repeating is safe. */
  async function closedPort(): Promise<number> {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    return port;
  }

  it('tells onRetry before each wait of a submission that never left (connection refused), with the attempt to come', async () => {
    const port = await closedPort();
    const notices: RetryNotice[] = [];
    const tags: RequestTag[] = [];
    const client = new FreepikClient({
      freepikBaseUrl: `http://127.0.0.1:${port}`,
      fileServiceUrl: `http://127.0.0.1:${port}`,
      apiKey: '',
      logger: quiet,
      maxAttempts: 3,
      maxWaitMs: 20,
      onRetry: (tag, notice) => {
        tags.push(tag);
        notices.push(notice);
      },
    });
    const tag = { nodeType: 'freepik.mystic', runId: 'r', nodeRunId: 'nr', nodeId: 'mystic' };
    const result = await client.submit('freepik', { method: 'POST', path: '/v1/ai/mystic', body: { prompt: 'x' } }, quiet, tag);
    await client.close();
    expect(result.kind).toBe('ambiguous');
    expect(notices.map((n) => [n.what, n.reason, n.attempt])).toEqual([
      ['submit', 'connection refused', 2],
      ['submit', 'connection refused', 3],
    ]);
    for (const n of notices) expect(n.waitMs).toBeGreaterThanOrEqual(0);
    expect(tags.every((t) => t === tag)).toBe(true);
  });

  it('does not hold a retry hostage to a notice that fails', async () => {
    const port = await closedPort();
    let told = 0;
    const client = new FreepikClient({
      freepikBaseUrl: `http://127.0.0.1:${port}`,
      fileServiceUrl: `http://127.0.0.1:${port}`,
      apiKey: '',
      logger: quiet,
      maxAttempts: 2,
      maxWaitMs: 20,
      onRetry: async () => {
        told++;
        throw new Error('database down');
      },
    });
    await expect(client.getJson('freepik', '/v1/ai/mystic/t1', quiet, 'status', { nodeType: 'freepik.mystic', nodeId: 'n' })).rejects.toThrow(/kept failing: ECONNREFUSED/);
    await client.close();
    // Two attempts, one wait between them (none after the last).
    expect(told).toBe(1);
  });
});
