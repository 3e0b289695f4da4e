/**
 * Helpers for the server tests (tests/server-*.test.ts): a started server over real
 * HTTP on 127.0.0.1 with its own PGlite folder, generated PNGs, uploads and an SSE reader.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { RunEvent, RunView } from '@pikflow/pipeline';
import { loadConfig, startServer, type BuildAppOptions, type ServerConfig, type StartServerResult } from '@pikflow/server';
import sharp from 'sharp';

export interface TestServer extends StartServerResult {
  dataDir: string;
  /** Every log line written while the server ran. */
  logs: string[];
  stop(): Promise<void>;
}

/** A log sink that keeps every line. */
export function captureStream(lines: string[]): Writable {
  return new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
      done();
    },
  });
}

export async function startTestServer(
  overrides: {
    config?: Partial<ServerConfig>;
    /** The server's own settings (loadConfig). */
    env?: Record<string, string>;
    /** Engine settings (engineConfigFromEnv: FREEPIK_QUOTAS, polling…) over process.env. */
    engineEnv?: Record<string, string>;
  } & Omit<BuildAppOptions, 'config' | 'env'> = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pikflow-server-test-'));
  const { config: configOverrides, env, engineEnv, ...rest } = overrides;
  const config: ServerConfig = {
    ...loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'debug', WEB_DIST_DIR: join(dataDir, 'no-web'), ...env }),
    ...configOverrides,
  };
  const logs: string[] = [];
  const server = await startServer({ logStream: captureStream(logs), ...rest, ...(engineEnv ? { env: { ...process.env, ...engineEnv } } : {}), config });
  return {
    ...server,
    dataDir,
    logs,
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A photo-like PNG: a gradient with a few shapes, so resizes are real work. */
export async function makePng(width: number, height: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#a98"/><stop offset="1" stop-color="#321"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>
    <circle cx="${width / 2}" cy="${height / 2}" r="${Math.min(width, height) / 4}" fill="#edc"/>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** fetch + JSON body, never throwing on 4xx/5xx. */
export async function http<T = any>(url: string, init: RequestInit & { json?: unknown } = {}): Promise<HttpResult<T>> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('content-type', 'application/json');
  const response = await fetch(url, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: response.status, headers: response.headers, body: body as T, text };
}

export async function upload(baseUrl: string, bytes: Uint8Array, filename = 'photo.png', type = 'image/png', headers: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), filename);
  return http(`${baseUrl}/api/assets`, { method: 'POST', body: form, headers });
}

/** Reads an SSE stream until it ends (or `until` says stop); returns the events in order. */
export async function readEvents(
  url: string,
  options: { headers?: Record<string, string>; until?: (e: RunEvent) => boolean; timeoutMs?: number } = {},
): Promise<{ events: RunEvent[]; status: number; contentType: string | null; comments: string[] }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 60_000);
  const response = await fetch(url, { headers: options.headers, signal: controller.signal });
  const events: RunEvent[] = [];
  const comments: string[] = [];
  if (!response.body || response.status !== 200) {
    clearTimeout(timer);
    return { events, status: response.status, contentType: response.headers.get('content-type'), comments };
  }
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        for (const l of block.split('\n')) if (l.startsWith(':')) comments.push(l);
        if (!data) continue;
        const event = JSON.parse(data) as RunEvent;
        events.push(event);
        if (options.until?.(event)) {
          controller.abort();
          return { events, status: response.status, contentType: response.headers.get('content-type'), comments };
        }
      }
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  } finally {
    clearTimeout(timer);
  }
  return { events, status: response.status, contentType: response.headers.get('content-type'), comments };
}

export async function waitForRun(baseUrl: string, runId: string, timeoutMs = 60_000): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await http<RunView>(`${baseUrl}/api/runs/${runId}`);
    if (['succeeded', 'failed', 'cancelled'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
