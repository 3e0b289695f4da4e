/**
 * The one HTTP client for Freepik and the file-upload service. All retry and
 * back-off logic of the product lives here:
 *
 * - Status reads (GET) are safe to repeat: network errors, 5xx and 429 are retried
 *   (429 waits for Retry-After; 5xx/503 back off exponentially with full jitter).
 * - A create (POST) costs money, so it is repeated only when the response proves no
 *   task was made: a 429 or 503 *response*, or a connection that was refused before
 *   anything was sent. When the request may have reached Freepik but its answer was
 *   lost (timeout, reset, 500/502/504), the result is `ambiguous` and the executor
 *   reconciles instead of re-POSTing.
 * - Downloads (re-hosting results, URL inputs) are GETs with a size limit.
 *
 * The API key is sent only to the Freepik base URL and is never logged: requests are
 * logged as {method, path, status, ms} summaries.
 *
 * Transport: undici's `request` over one keep-alive Agent, not the global fetch: fetch's
 * WHATWG streams and Request/Response objects cost several times the CPU per request, and
 * the engine makes about eight requests per run.
 */
import { randomUUID } from 'node:crypto';
import { Agent, interceptors, request as httpRequest, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { PikflowError, type BinaryFile, type HttpRequest } from '@pikflow/catalog';

export type Service = 'freepik' | 'file-service';

export type SubmitResult =
  | { kind: 'accepted'; status: number; body: unknown }
  | { kind: 'rejected'; status: number; message: string; body: unknown }
  /** 429: no task was made; the quota limiter decides when to try again (never a failure). */
  | { kind: 'rate_limited'; retryAfterMs: number; message: string }
  | { kind: 'ambiguous'; reason: string };

export interface ClientOptions {
  freepikBaseUrl: string;
  apiKey: string;
  fileServiceUrl: string;
  logger: Logger;
  /** Per-request timeouts (ms). */
  submitTimeoutMs?: number;
  readTimeoutMs?: number;
  /** Attempts for retryable responses (429/503/5xx on GET). */
  maxAttempts?: number;
  /** Longest single wait for Retry-After or back-off (ms). */
  maxWaitMs?: number;
  /** Called for every Freepik request attempt (the usage ledger); `status` is undefined when no answer came. */
  onRequest?: (kind: 'submit' | 'status' | 'list', tag: RequestTag, status: number | undefined, attempt: number) => void;
  /**
   * Called before each wait for a retry of a tagged request (the node shows it while it waits).
   * The wait does not start the retry before the returned promise settles (or a second past
   * the wait), so what is shown is never behind the request; a rejection is logged, not thrown.
   */
  onRetry?: (tag: RequestTag, retry: RetryNotice) => void | Promise<void>;
}

/** A request that failed for now and is about to be repeated. */
export interface RetryNotice {
  what: 'submit' | 'status' | 'list' | 'download';
  /** Short and human: 'HTTP 503', 'connection refused', 'timed out'. */
  reason: string;
  /** The attempt that will be made after the wait (2 = the first retry). */
  attempt: number;
  waitMs: number;
}

/** Who a Freepik request is for, as the usage ledger records it. */
export interface RequestTag {
  nodeType: string;
  runId?: string;
  nodeRunId?: string;
  /** The pipeline node (what a retry notice is shown on). */
  nodeId?: string;
  /** The ledger row the quota claim wrote for this submission. */
  ledgerId?: number;
}

/** Counters the benchmark and tests read (engine-side view of the traffic). */
export interface ClientStats {
  submissions: number;
  submitRetries: number;
  statusRequests: number;
  listRequests: number;
  downloads: number;
}

type HttpResponse = Dispatcher.ResponseData;

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'ENETUNREACH', 'EHOSTUNREACH']);

export class FreepikClient {
  readonly stats: ClientStats = { submissions: 0, submitRetries: 0, statusRequests: 0, listRequests: 0, downloads: 0 };
  private readonly submitTimeoutMs: number;
  private readonly readTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxWaitMs: number;
  /** Keep-alive connections to Freepik, the file service and result hosts. */
  private transport = newTransport();

  constructor(private readonly options: ClientOptions) {
    this.submitTimeoutMs = options.submitTimeoutMs ?? 60_000;
    this.readTimeoutMs = options.readTimeoutMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.maxWaitMs = options.maxWaitMs ?? 30_000;
  }

  /** Sends a create request. Never repeats it unless the response proves nothing was created. */
  async submit(service: Service, request: HttpRequest, log: Logger, tag?: RequestTag): Promise<SubmitResult> {
    const url = this.url(service, request.path, request.query);
    const note = (status: number | undefined, attempt: number) => {
      if (service === 'freepik' && tag) this.options.onRequest?.('submit', tag, status, attempt);
    };
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      const timeout = deadline(this.submitTimeoutMs);
      let response: HttpResponse;
      try {
        this.stats.submissions++;
        const { body, contentType } = encodeBody(request);
        response = await httpRequest(url, {
          method: request.method,
          headers: { ...request.headers, ...this.headers(service), ...(contentType ? { 'content-type': contentType } : {}) },
          body,
          signal: timeout.signal,
          dispatcher: this.transport.agent,
        });
      } catch (error) {
        timeout.clear();
        const code = errorCode(error);
        note(undefined, attempt);
        if (code && NOT_SENT_CODES.has(code) && attempt < this.maxAttempts) {
          // Nothing reached the server: repeating cannot create a second task.
          log.warn({ path: request.path, code, attempt }, 'submit not sent; retrying');
          this.stats.submitRetries++;
          await this.waitToRetry(tag, 'submit', describeProblem(code), attempt, backoff(attempt, this.maxWaitMs), log);
          continue;
        }
        log.warn({ path: request.path, code: code ?? describeError(error), ms: Date.now() - started }, 'submit response lost');
        return { kind: 'ambiguous', reason: code && NOT_SENT_CODES.has(code) ? `could not connect (${code})` : `the response was lost (${code ?? describeError(error)})` };
      }
      const body = await readBody(response).finally(timeout.clear);
      const status = response.statusCode;
      log.debug({ method: request.method, path: request.path, status, ms: Date.now() - started }, 'submit');
      note(status, attempt);
      if (status >= 200 && status < 300) return { kind: 'accepted', status, body };
      if (status === 429 && service === 'freepik') {
        // Refused before any task existed. Waiting here would hide it from the limiter (and from the
        // other workers): the executor hands it to the quota limiter, which reschedules the node.
        return { kind: 'rate_limited', retryAfterMs: retryAfterOf(response), message: messageOf(body) ?? 'HTTP 429' };
      }
      if ((status === 429 || status === 503) && attempt < this.maxAttempts) {
        // A 429/503 answer means the request was refused before any task existed.
        const wait = status === 429 ? retryAfterMs(response, this.maxWaitMs) : backoff(attempt, this.maxWaitMs);
        log.info({ path: request.path, status, attempt, waitMs: wait }, 'submit refused for now; retrying');
        this.stats.submitRetries++;
        await this.waitToRetry(tag, 'submit', `HTTP ${status}`, attempt, wait, log);
        continue;
      }
      if (status === 500 || status === 502 || status === 504) {
        return { kind: 'ambiguous', reason: `Freepik answered ${status} (${messageOf(body) ?? 'no message'})` };
      }
      return { kind: 'rejected', status, message: messageOf(body) ?? `HTTP ${status}`, body };
    }
  }

  /** A status read (or a list read): retried on anything transient. */
  async getJson(service: Service, path: string, log: Logger, kind: 'status' | 'list' = 'status', tag?: RequestTag): Promise<unknown> {
    const note = (status: number | undefined, attempt: number) => {
      if (service === 'freepik' && tag) this.options.onRequest?.(kind, tag, status, attempt);
    };
    const url = this.url(service, path);
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (kind === 'status') this.stats.statusRequests++;
      else this.stats.listRequests++;
      let response: HttpResponse;
      const timeout = deadline(this.readTimeoutMs);
      try {
        response = await httpRequest(url, { headers: this.headers(service), signal: timeout.signal, dispatcher: this.transport.agent });
      } catch (error) {
        timeout.clear();
        note(undefined, attempt);
        lastProblem = errorCode(error) ?? describeError(error);
        if (attempt === this.maxAttempts) break;
        log.warn({ path, problem: lastProblem, attempt }, 'status read failed; retrying');
        await this.waitToRetry(tag, kind, describeProblem(lastProblem), attempt, backoff(attempt, this.maxWaitMs), log);
        continue;
      }
      const body = await readBody(response).finally(timeout.clear);
      const status = response.statusCode;
      note(status, attempt);
      if (status >= 200 && status < 300) return body;
      lastProblem = `HTTP ${status}${messageOf(body) ? `: ${messageOf(body)}` : ''}`;
      if (status === 429 || status >= 500) {
        // The last attempt's answer is the error: no wait after it.
        if (attempt === this.maxAttempts) break;
        const wait = status === 429 ? retryAfterMs(response, this.maxWaitMs) : backoff(attempt, this.maxWaitMs);
        await this.waitToRetry(tag, kind, `HTTP ${status}`, attempt, wait, log);
        continue;
      }
      throw new PikflowError('upstream_rejected', `Freepik refused the status request: ${lastProblem}`);
    }
    throw new PikflowError('upstream_error', `Freepik status request kept failing: ${lastProblem}`);
  }

  /**
   * Downloads a file (result URL or data for hand-off), refusing more than maxBytes.
   * `checkAddress` runs on the connection's resolved address when given (URL inputs).
   */
  async download(url: string, maxBytes: number, log: Logger, tag?: RequestTag): Promise<{ bytes: Buffer; contentType?: string }> {
    if (url.startsWith('data:')) return decodeDataUri(url, maxBytes);
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      this.stats.downloads++;
      const timeout = deadline(this.readTimeoutMs * 2);
      try {
        const response = await httpRequest(url, { signal: timeout.signal, dispatcher: this.transport.following });
        const status = response.statusCode;
        if (status < 200 || status >= 300) {
          lastProblem = `HTTP ${status}`;
          await response.body.dump();
          if (status === 429 || status >= 500) {
            if (attempt === this.maxAttempts) break;
            await this.waitToRetry(tag, 'download', lastProblem, attempt, status === 429 ? retryAfterMs(response, this.maxWaitMs) : backoff(attempt, this.maxWaitMs), log);
            continue;
          }
          throw new PikflowError('upstream_error', `downloading ${redactUrl(url)} failed: ${lastProblem}`);
        }
        const declared = Number(header(response, 'content-length') ?? NaN);
        if (Number.isFinite(declared) && declared > maxBytes) {
          response.body.destroy();
          throw new PikflowError('payload_too_large', `${redactUrl(url)} is ${declared} bytes; the limit is ${maxBytes}`);
        }
        const bytes = await readLimited(response, maxBytes, url);
        return { bytes, contentType: header(response, 'content-type') };
      } catch (error) {
        if (error instanceof PikflowError) throw error;
        lastProblem = errorCode(error) ?? describeError(error);
        if (attempt === this.maxAttempts) break;
        log.warn({ url: redactUrl(url), problem: lastProblem, attempt }, 'download failed; retrying');
        await this.waitToRetry(tag, 'download', describeProblem(lastProblem), attempt, backoff(attempt, this.maxWaitMs), log);
      } finally {
        timeout.clear();
      }
    }
    throw new PikflowError('upstream_error', `downloading ${redactUrl(url)} kept failing: ${lastProblem}`);
  }

  /**
   * The wait before attempt `failed + 1`, told to onRetry first (tagged requests only). A slow
   * notice (the database behind it) holds the retry back by at most a second past its wait.
   */
  private async waitToRetry(tag: RequestTag | undefined, what: RetryNotice['what'], reason: string, failed: number, waitMs: number, log: Logger): Promise<void> {
    const onRetry = this.options.onRetry;
    if (!tag || !onRetry) return sleep(waitMs);
    const told = Promise.resolve()
      .then(() => onRetry(tag, { what, reason, attempt: failed + 1, waitMs: Math.round(waitMs) }))
      .catch((error: unknown) => log.warn({ err: describeError(error) }, 'the retry notice failed'));
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs + 1_000)).unref());
    await Promise.all([sleep(waitMs), Promise.race([told, patience])]);
    clearTimeout(timer);
  }

  private url(service: Service, path: string, query?: HttpRequest['query']): string {
    const base = service === 'freepik' ? this.options.freepikBaseUrl : this.options.fileServiceUrl;
    const url = new URL(base.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`));
    for (const [k, v] of Object.entries(query ?? {})) {
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, String(item));
      else if (v !== undefined) url.searchParams.set(k, String(v));
    }
    return url.toString();
  }

  private headers(service: Service): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (service === 'freepik') headers['x-freepik-api-key'] = this.options.apiKey || 'simulator';
    return headers;
  }

  /** Closes the keep-alive connections (engine stop); a later request opens new ones. */
  async close(): Promise<void> {
    const old = this.transport.agent;
    this.transport = newTransport();
    await old.close();
  }
}

/**
 * A keep-alive Agent (at most 64 connections per origin: a burst of runs queues its requests
 * instead of opening TLS connections by the hundred) and the same Agent following redirects,
 * for result downloads a CDN may redirect.
 */
function newTransport(): { agent: Agent; following: Dispatcher } {
  const agent = new Agent({ connections: 64, keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000 });
  return { agent, following: agent.compose(interceptors.redirect({ maxRedirections: 3 })) };
}

/** The request body in its wire encoding, with its content type. */
export function encodeBody(request: HttpRequest): { body?: string | Buffer; contentType?: string } {
  if (!request.body || request.method === 'GET') return {};
  const encoding = request.encoding ?? 'json';
  const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  if (encoding === 'json') return { body: JSON.stringify(request.body), contentType: 'application/json' };
  if (encoding === 'form') {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(request.body)) if (v !== undefined) form.set(k, text(v));
    return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
  }
  // multipart/form-data (RFC 7578), built in one buffer: the parts are small fields and one image.
  const boundary = `----pikflow-${randomUUID()}`;
  const quoted = (s: string) => s.replace(/[\r\n"]/g, (c) => encodeURIComponent(c));
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(request.body)) {
    if (v === undefined) continue;
    if (isBinaryFile(v)) {
      parts.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quoted(k)}"; filename="${quoted(v.filename)}"\r\nContent-Type: ${v.contentType}\r\n\r\n`),
        Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength),
        Buffer.from('\r\n'),
      );
    } else {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quoted(k)}"\r\n\r\n${text(v)}\r\n`));
    }
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function isBinaryFile(v: unknown): v is BinaryFile {
  return typeof v === 'object' && v !== null && (v as BinaryFile).kind === 'file' && (v as BinaryFile).data instanceof Uint8Array;
}

async function readBody(response: HttpResponse): Promise<unknown> {
  const text = await response.body.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 2000);
  }
}

/** Freepik's error bodies: {message}, {problem:{message}}, {detail}, {error}. */
export function messageOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 500) || undefined;
  if (!body || typeof body !== 'object') return undefined;
  const o = body as Record<string, unknown>;
  const problem = o.problem && typeof o.problem === 'object' ? (o.problem as Record<string, unknown>) : undefined;
  const message = o.message ?? problem?.message ?? o.detail ?? o.error;
  const invalid = (o.invalid_params ?? problem?.invalid_params) as { name?: string; reason?: string }[] | undefined;
  const details = Array.isArray(invalid) ? invalid.map((p) => `${p.name}: ${p.reason}`).join('; ') : '';
  const text = typeof message === 'string' ? message : message ? JSON.stringify(message) : undefined;
  return [text, details].filter(Boolean).join(' — ') || undefined;
}

/** Retry-After in ms (seconds or an HTTP date); 1 s when Freepik sends none (it documents none). */
function retryAfterOf(response: HttpResponse): number {
  const retryAfter = header(response, 'retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    if (!Number.isNaN(Date.parse(retryAfter))) return Math.max(0, Date.parse(retryAfter) - Date.now());
  }
  return 1_000;
}

function retryAfterMs(response: HttpResponse, cap: number): number {
  // A little jitter so a crowd of runs does not come back in the same millisecond.
  return Math.min(cap, Math.max(50, retryAfterOf(response))) + Math.random() * 100;
}

/** Exponential back-off with full jitter: 0..min(cap, 250·2^attempt) ms. */
export function backoff(attempt: number, cap: number): number {
  return Math.random() * Math.min(cap, 250 * 2 ** attempt);
}

/**
 * A request timeout that is cleared as soon as the exchange is over. AbortSignal.timeout would
 * keep each signal (and what fetch hangs on it) alive until it fires, 30–60 s later: with
 * thousands of runs in flight that is memory held for nothing.
 */
function deadline(ms: number): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorCode(error: unknown): string | undefined {
  const e = error as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timeout';
  return e?.cause?.code ?? e?.code ?? undefined;
}

/** A transport error code as a person would say it (what a retry notice shows). */
export function describeProblem(code: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return 'network unreachable';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connect timed out';
    case 'timeout':
      return 'timed out';
    default:
      return code ? code.slice(0, 60) : 'network error';
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function readLimited(response: HttpResponse, maxBytes: number, url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      response.body.destroy();
      throw new PikflowError('payload_too_large', `${redactUrl(url)} is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

export function decodeDataUri(uri: string, maxBytes: number): { bytes: Buffer; contentType?: string } {
  const match = /^data:([\w.+/-]+)?(;[^,]*)?,/.exec(uri);
  if (!match) throw new PikflowError('invalid_input', 'not a data URI');
  const payload = uri.slice(match[0].length);
  if ((payload.length * 3) / 4 > maxBytes) throw new PikflowError('payload_too_large', `the data URI is larger than ${maxBytes} bytes`);
  const isBase64 = (match[2] ?? '').includes('base64');
  const bytes = isBase64 ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload));
  return { bytes, contentType: match[1] };
}

/** URLs may carry signed tokens in their query: logs get origin + path only. */
export function redactUrl(url: string): string {
  if (url.startsWith('data:')) return `data:… (${url.length} chars)`;
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
