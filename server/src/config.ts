import { isIP } from 'node:net';
import { resolve } from 'node:path';

/**
 * Everything the server reads from the environment, in one typed object. Secrets live
 * here and in the engine config only; they are never logged or returned (see logger.ts).
 */
export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  freepikApiKey?: string;
  freepikApiBase: string;
  freepikWebhookSecret?: string;
  /** Public base URL of this server as Freepik can reach it (webhooks, URL hand-off). */
  publicUrl?: string;
  fileServiceUrl?: string;
  apiToken?: string;
  /** Ask for a bearer token even from loopback (behind a local reverse proxy; tests). */
  requireToken: boolean;
  logLevel: string;
  /** Folder of the built editor. */
  webDistDir: string;
  /**
   * Host names (besides loopback names, IP literals and PUBLIC_URL's host) this server
   * answers to; `.example.com` also allows its subdomains, `*` allows any (DNS rebinding guard).
   */
  allowedHosts: string[];
  limits: {
    /** Largest accepted upload (bytes). */
    uploadBytes: number;
    /** Largest JSON body (bytes). */
    bodyBytes: number;
    /** A ZIP of images for a batch: largest archive (bytes), and the most its entries may hold uncompressed together (bytes). */
    zipBytes: number;
    zipUncompressedBytes: number;
    /** Default and largest `timeout` of `?wait=true` (seconds). */
    waitDefaultSeconds: number;
    waitMaxSeconds: number;
    /** Comment line sent on idle SSE streams so proxies keep them open (ms). */
    sseHeartbeatMs: number;
    /** Time a client has to send the whole request (ms) and its headers (ms); idle keep-alive (ms). */
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    keepAliveTimeoutMs: number;
    /** Open connections at most when listening on a non-loopback interface. */
    maxConnections: number;
  };
}

export const DEFAULT_FREEPIK_API_BASE = 'https://api.freepik.com';
const MB = 1024 * 1024;

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min} (got "${raw}")`);
  return n;
}

function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function bool(env: NodeJS.ProcessEnv, name: string): boolean {
  return /^(1|true|yes|on)$/i.test(env[name]?.trim() ?? '');
}

function url(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = text(env, name);
  if (!v) return undefined;
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new Error(`${name} must be an http(s) URL (got "${v}")`);
  }
  return v.replace(/\/+$/, '');
}

/** `a.example.com, .example.org` → lower-case names without ports; `*` stays `*`. */
function hostList(env: NodeJS.ProcessEnv, name: string): string[] {
  const entries = (text(env, name) ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  for (const h of entries) {
    if (h !== '*' && !/^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(h)) {
      throw new Error(`${name} must be a comma-separated list of host names (e.g. pikflow.example.com, .internal.example.com) or *; got "${h}"`);
    }
  }
  return entries;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ServerConfig {
  return {
    port: int(env, 'PORT', 3000),
    host: text(env, 'HOST') ?? '127.0.0.1',
    dataDir: resolve(cwd, text(env, 'DATA_DIR') ?? '.data'),
    databaseUrl: text(env, 'DATABASE_URL'),
    freepikApiKey: text(env, 'FREEPIK_API_KEY'),
    freepikApiBase: url(env, 'FREEPIK_API_BASE') ?? DEFAULT_FREEPIK_API_BASE,
    freepikWebhookSecret: text(env, 'FREEPIK_WEBHOOK_SECRET'),
    publicUrl: url(env, 'PUBLIC_URL'),
    fileServiceUrl: url(env, 'FILE_SERVICE_URL'),
    apiToken: text(env, 'PIKFLOW_API_TOKEN'),
    requireToken: bool(env, 'PIKFLOW_REQUIRE_TOKEN'),
    logLevel: text(env, 'LOG_LEVEL') ?? 'info',
    webDistDir: resolve(cwd, text(env, 'WEB_DIST_DIR') ?? 'web/dist'),
    allowedHosts: hostList(env, 'ALLOWED_HOSTS'),
    limits: {
      uploadBytes: int(env, 'MAX_UPLOAD_MB', 25, 1) * MB,
      bodyBytes: int(env, 'MAX_BODY_MB', 40, 1) * MB,
      zipBytes: int(env, 'MAX_ZIP_MB', 1024, 1) * MB,
      zipUncompressedBytes: int(env, 'MAX_ZIP_UNCOMPRESSED_MB', 2048, 1) * MB,
      waitDefaultSeconds: int(env, 'RUN_WAIT_DEFAULT_SECONDS', 60, 1),
      waitMaxSeconds: int(env, 'RUN_WAIT_MAX_SECONDS', 300, 1),
      sseHeartbeatMs: int(env, 'SSE_HEARTBEAT_MS', 15_000, 100),
      requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_SECONDS', 120, 1) * 1000,
      headersTimeoutMs: int(env, 'HEADERS_TIMEOUT_SECONDS', 15, 1) * 1000,
      keepAliveTimeoutMs: 10_000,
      maxConnections: int(env, 'MAX_CONNECTIONS', 512, 1),
    },
  };
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms; `localhost` by name. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  if (a === 'localhost' || a === '::1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return isIP(v4) === 4 && v4.startsWith('127.');
}
