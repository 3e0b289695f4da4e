/**
 * The editor's only way to the server. Every failure becomes an ApiError whose
 * message is the server's own sentence (ApiErrorBody), so toasts read well.
 */
import type {
  ApiErrorBody,
  AssetRef,
  BatchView,
  CacheMode,
  EstimateView,
  HealthView,
  PipelineDocument,
  PipelineProblem,
  PipelineSummary,
  PipelineView,
  RunView,
  TemplateView,
} from '@pikflow/pipeline';
import type { CatalogNode } from '@pikflow/catalog';

/** The REST trigger's result-cache options: mode (default use), nodes to re-run with what follows, nodes to re-roll. */
export interface RunCacheOptions {
  cache?: CacheMode;
  refresh?: string[];
  reroll?: string[];
}

export type ApiProblem = NonNullable<ApiErrorBody['error']['problems']>[number];

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly nodeId?: string;
  readonly field?: string;
  readonly problems: ApiProblem[];

  constructor(status: number, body: Partial<ApiErrorBody['error']> & { message: string }) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code ?? 'error';
    this.nodeId = body.nodeId;
    this.field = body.field;
    this.problems = body.problems ?? [];
  }
}

async function readError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<ApiErrorBody> & { message?: string };
    if (body.error && typeof body.error === 'object' && body.error.message) return new ApiError(res.status, body.error);
    if (typeof body.message === 'string') return new ApiError(res.status, { message: body.message });
  } catch {
    // not JSON: fall through to a generic sentence
  }
  return new ApiError(res.status, {
    code: `http_${res.status}`,
    message: `The server answered ${res.status} ${res.statusText}${text && text.length < 200 ? `: ${text}` : ''}`,
  });
}

const TOKEN_KEY = 'pikflow.apiToken';

/**
 * From another machine the API wants a bearer token (PIKFLOW_API_TOKEN). The user types
 * it once per browser session; it lives in sessionStorage, never in the bundle.
 */
export function apiToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setApiToken(token: string | null) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Called when the server answers 401, so the UI can ask for a token. */
let onUnauthorized: (() => void) | undefined;
export function whenUnauthorized(handler: () => void) {
  onUnauthorized = handler;
}

export async function request<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    const isForm = typeof FormData !== 'undefined' && body instanceof FormData;
    const headers: Record<string, string> = {};
    if (body !== undefined && !isForm) headers['content-type'] = 'application/json';
    const token = apiToken();
    if (token) headers.authorization = `Bearer ${token}`;
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : isForm ? (body as FormData) : JSON.stringify(body),
      ...init,
    });
  } catch (cause) {
    throw new ApiError(0, { code: 'network', message: `Cannot reach the Pikflow server (${(cause as Error).message})` });
  }
  if (res.status === 401) onUnauthorized?.();
  if (!res.ok) throw await readError(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Lists come bare or wrapped ({items}, {runs}, {pipelines}, {data}); accept each. */
function listOf<T>(body: unknown, ...keys: string[]): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === 'object') {
    for (const key of [...keys, 'items', 'data', 'results']) {
      const v = (body as Record<string, unknown>)[key];
      if (Array.isArray(v)) return v as T[];
    }
  }
  return [];
}

export interface SavedPipeline {
  id: string;
  version: number;
  problems?: PipelineProblem[];
}

export interface ValidationResult {
  ok: boolean;
  problems: PipelineProblem[];
}

/** One item of a batch as GET /api/batches/:id/items lists it. */
export interface BatchItemView {
  idx: number;
  label: string;
  status: string;
  runId?: string;
  error?: { code?: string; message?: string };
}

export type BatchAction = 'pause' | 'resume' | 'cancel' | 'retry-failed';

export const api = {
  health: () => request<HealthView>('GET', '/api/health'),
  catalog: async () => listOf<CatalogNode>(await request<unknown>('GET', '/api/catalog'), 'nodes', 'catalog'),
  templates: async () => listOf<TemplateView>(await request<unknown>('GET', '/api/templates'), 'templates'),
  listPipelines: async () =>
    listOf<PipelineSummary>(await request<unknown>('GET', '/api/pipelines'), 'pipelines'),
  getPipeline: (id: string, version?: number) =>
    request<PipelineView>('GET', `/api/pipelines/${encodeURIComponent(id)}${version ? `?version=${version}` : ''}`),
  // Drafts: a work in progress may be saved with problems (they come back in `problems`);
  // the server still refuses to run such a version.
  createPipeline: (name: string, document: PipelineDocument) =>
    request<SavedPipeline>('POST', '/api/pipelines?draft=true', { name, document }),
  createFromTemplate: (templateId: string, name?: string) =>
    request<{ id: string; version: number }>(
      'POST',
      `/api/templates/${encodeURIComponent(templateId)}/pipelines`,
      name ? { name } : {},
    ),
  savePipeline: (id: string, name: string, document: PipelineDocument, baseVersion?: number) =>
    request<SavedPipeline>('PUT', `/api/pipelines/${encodeURIComponent(id)}?draft=true`, {
      name,
      document,
      ...(baseVersion ? { baseVersion } : {}),
    }),
  renamePipeline: (id: string, name: string) =>
    request<SavedPipeline>('PUT', `/api/pipelines/${encodeURIComponent(id)}`, { name }),
  deletePipeline: (id: string) => request<void>('DELETE', `/api/pipelines/${encodeURIComponent(id)}`),
  validate: (document: PipelineDocument) => request<ValidationResult>('POST', '/api/pipelines/validate', { document }),
  startRun: (pipelineId: string, inputs: Record<string, unknown>, version?: number, cache: RunCacheOptions = {}) =>
    request<{ runId: string }>('POST', `/api/pipelines/${encodeURIComponent(pipelineId)}/runs`, {
      inputs,
      ...(version ? { version } : {}),
      ...cache,
    }),
  retryRun: (id: string) => request<{ runId: string; retryOf: string }>('POST', `/api/runs/${encodeURIComponent(id)}/retry`, {}),
  getRun: (id: string) => request<RunView>('GET', `/api/runs/${encodeURIComponent(id)}`),
  listRuns: async (pipelineId: string) =>
    listOf<RunView>(await request<unknown>('GET', `/api/runs?pipelineId=${encodeURIComponent(pipelineId)}`), 'runs'),
  /** Every pipeline's runs, newest first, a page at a time (nextCursor for the next page). */
  listAllRuns: (query: { status?: string; pipelineId?: string; cursor?: string; limit?: number }) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
    return request<{ runs: RunView[]; nextCursor?: string }>('GET', `/api/runs?${params}`);
  },
  /** Freepik requests per service (and money, with a price table) for `count` runs, against today's quotas. */
  estimate: (pipelineId: string, count: number, version?: number) =>
    request<EstimateView>('POST', `/api/pipelines/${encodeURIComponent(pipelineId)}/estimate`, { count, ...(version ? { version } : {}) }),
  startBatch: (pipelineId: string, items: { inputs: Record<string, unknown>; label?: string }[], cache?: CacheMode) =>
    request<{ batchId: string; estimate: EstimateView }>('POST', `/api/pipelines/${encodeURIComponent(pipelineId)}/batches`, {
      items,
      ...(cache && cache !== 'use' ? { cache } : {}),
    }),
  getBatch: (id: string) => request<BatchView>('GET', `/api/batches/${encodeURIComponent(id)}`),
  listBatches: (pipelineId: string) => request<{ batches: BatchView[] }>('GET', `/api/batches?pipelineId=${encodeURIComponent(pipelineId)}`).then((r) => r.batches),
  batchItems: (id: string, after = -1, limit = 100) =>
    request<{ items: BatchItemView[]; nextAfter?: number }>('GET', `/api/batches/${encodeURIComponent(id)}/items?after=${after}&limit=${limit}`),
  controlBatch: (id: string, action: BatchAction) => request<BatchView>('POST', `/api/batches/${encodeURIComponent(id)}/${action}`, {}),
  /** A file from a guarded route, with the bearer token (a plain link cannot send it). */
  download: async (path: string): Promise<Blob> => {
    const token = apiToken();
    let res: Response;
    try {
      res = await fetch(path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    } catch (cause) {
      throw new ApiError(0, { code: 'network', message: `Cannot reach the Pikflow server (${(cause as Error).message})` });
    }
    if (res.status === 401) onUnauthorized?.();
    if (!res.ok) throw await readError(res);
    return res.blob();
  },
  cancelRun: (id: string) => request<unknown>('POST', `/api/runs/${encodeURIComponent(id)}/cancel`, {}),
  uploadAsset: async (file: Blob, filename = 'upload.png') => {
    const form = new FormData();
    form.append('file', file, filename);
    const body = await request<Partial<AssetRef> & { id?: string }>('POST', '/api/assets', form);
    const assetId = body.assetId ?? body.id;
    if (!assetId) throw new ApiError(500, { message: 'The server stored the file but returned no asset id' });
    return { ...body, assetId, url: body.url ?? assetUrl(assetId) } as AssetRef;
  },
};

/** Every item's outputs as one ZIP (and a manifest), streamed by the server. */
export function batchZipUrl(batchId: string): string {
  return `/api/batches/${encodeURIComponent(batchId)}/outputs.zip`;
}

export function assetUrl(assetId: string): string {
  return `/api/assets/${encodeURIComponent(assetId)}`;
}

/** A readable sentence for anything thrown. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
