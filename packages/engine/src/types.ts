/**
 * The engine's public surface. The server (routes, SSE, webhooks, assets) and the
 * worker process use only this; everything else in the package is internal.
 */
import type { AssetRef, BatchView, CacheMode, EstimateView, UsageView, PipelineDocument, RunEvent, RunStatus, RunView } from '@pikflow/pipeline';
import type { RunCacheOptions } from './node-cache.ts';
import type { QuotaConfig } from './quota-table.ts';
import type { Budgets, PriceTable } from './usage.ts';
import type { CreateBatchRequest } from './batches.ts';

export interface EngineConfig {
  /** 'simulator' when no FREEPIK_API_KEY is set and the bundled simulator is used. */
  mode: 'simulator' | 'freepik';
  freepik: { baseUrl: string; apiKey: string };
  /** Base URL of the file-upload service (seed 003). */
  fileServiceUrl: string;
  /** Public base URL of this server as Freepik can reach it; enables URL hand-off of local assets and webhooks. */
  publicUrl?: string;
  /** Webhook signing secret; webhooks are used only when this and publicUrl are set. */
  webhookSecret?: string;
  /** Folder of the asset store. */
  assetsDir: string;
  /** Polling with backoff: first wait, growth factor, cap (ms). */
  poll: { initialDelayMs: number; factor: number; maxDelayMs: number };
  /** A node whose task has not finished after this long fails with `timeout`. */
  nodeTimeoutMs: number;
  /** Largest file downloaded for base64 hand-off or re-hosting (bytes). */
  maxDownloadBytes: number;
  /** Whether this process executes jobs (the server may be API-only when workers run separately). */
  runWorkers: boolean;
  /**
   * How long a create request may take before its answer counts as lost (default 60 s). Also how
   * long another process's unanswered submission is left alone before it is reconciled.
   */
  submitTimeoutMs?: number;
  /** Freepik's limits: the plan and overrides (quota-table.ts). Default: plan `none` (documented concurrency only). */
  quota?: QuotaConfig;
  /** Money per Freepik request, for estimates (FREEPIK_PRICES). */
  prices?: PriceTable;
  /** Caps in Freepik requests per run, batch and day (BUDGET_PER_RUN, BUDGET_PER_BATCH, BUDGET_PER_DAY). */
  budgets?: Budgets;
  /**
   * Before taking jobs, wait up to this long for PUBLIC_URL to answer (worker processes: recovered
   * nodes hand Freepik URLs of the server's asset route, useless while the server is down).
   */
  waitForPublicUrlMs?: number;
  /**
   * A submission to a sync endpoint (no task list to reconcile with) whose answer was lost:
   * 'resend' (default) sends it once more and marks the node run possibleDuplicateCharge;
   * 'fail' fails the node with ambiguous_submit instead (AMBIGUOUS_SUBMIT=fail).
   */
  ambiguousSubmit?: 'resend' | 'fail';
}

export interface StartRunRequest {
  pipelineId?: string;
  pipelineVersionId?: string;
  document: PipelineDocument;
  /** Values per input-node name: images as asset id, https URL or data URI; text as string. */
  inputs: Record<string, unknown>;
  /** The node-result cache: mode (default 'use'), per-node refresh, re-rolls (see node-cache.ts). */
  cache?: RunCacheOptions;
  /** Set by retryRun: node id → node run id of the original run's completed nodes, to reuse. */
  retry?: { reuse: Record<string, string>; retryOf: string };
  /**
   * A node meeting a used-up daily Freepik quota: 'wait' (default) for the next UTC day, visibly;
   * 'fail' fails it with quota_exhausted naming the service, the limit and when it resets. With
   * 'fail', a run that does not fit in what is left of today is refused before it starts.
   */
  onQuotaExhausted?: 'wait' | 'fail';
  /** Internal: the run id a batch item chose when it was admitted (a second start with it fails on the primary key). */
  runId?: string;
  /**
   * A caller's Idempotency-Key (scoped by pipelineId) and a fingerprint of its request: the same
   * key and fingerprint give the run the first request started; the same key with another
   * fingerprint is refused (`idempotency_key_reused`, 422). Stored with the run, in one statement.
   */
  idempotency?: { key: string; fingerprint: string };
}

export interface StoredAsset extends AssetRef {
  sha256: string;
  storageKey: string;
  filename?: string;
}

export interface AssetStore {
  /** Stores an uploaded file after sniffing it; non-images are refused (unsupported_media_type). */
  putUpload(bytes: Uint8Array, filename?: string): Promise<StoredAsset>;
  /** Stores a generated file (image or video) for a node run. */
  putGenerated(bytes: Uint8Array, meta: { runId: string; nodeId: string; mime?: string; filename?: string }): Promise<StoredAsset>;
  get(assetId: string): Promise<StoredAsset | null>;
  /** Absolute path of the stored bytes (for streaming). */
  pathOf(asset: StoredAsset): string;
  read(assetId: string): Promise<{ asset: StoredAsset; bytes: Buffer }>;
}

export interface ListRunsQuery {
  pipelineId?: string;
  status?: RunStatus;
  limit?: number;
  /** Opaque cursor from the previous page. */
  cursor?: string;
}

export interface Engine {
  readonly config: EngineConfig;
  readonly assets: AssetStore;
  /** Starts job processing (when config.runWorkers) and recovery of interrupted runs. */
  start(): Promise<void>;
  /** Stops taking jobs and lets in-flight work pause durably. */
  stop(): Promise<void>;
  /** Validates the document and inputs (PikflowError 'validation_failed' / 'invalid_input'), records the run, queues it. */
  startRun(request: StartRunRequest): Promise<{ runId: string; /** An earlier request with the same Idempotency-Key started it. */ replayed?: boolean }>;
  cancelRun(runId: string): Promise<RunView>;
  /**
   * A new run of a finished run's version and inputs that reuses every node it completed (their
   * outputs, inputs permitting): only its failed, skipped and cancelled nodes execute.
   * PikflowError 'not_found', or 'conflict' while the run is still going.
   */
  retryRun(runId: string): Promise<{ runId: string }>;
  /** Today's and recent days' Freepik requests per service against the plan's limits. */
  usage(days?: number): Promise<UsageView>;
  /** Freepik requests per service (and money, with prices) for `count` runs of the document, against today's quotas. */
  estimate(
    document: PipelineDocument,
    count: number,
    /** The runs' inputs (one per run; count is then their number) and cache mode (default use): the result cache's share is left out. */
    options?: { items?: Record<string, unknown>[]; cacheMode?: CacheMode },
  ): Promise<EstimateView>;
  /**
   * Records a batch (every item's inputs checked first, budgets and plan too: refused before any
   * request); the admission loop starts its items as ordinary runs while capacity frees.
   */
  createBatch(request: CreateBatchRequest): Promise<{ batchId: string; estimate: EstimateView; /** The batch cannot finish today (which services, by how much, when they reset). */ warning?: string }>;
  getBatch(batchId: string): Promise<BatchView | null>;
  /** The newest batches (of one pipeline, or of all), newest first. */
  listBatches(query: { pipelineId?: string; limit?: number }): Promise<BatchView[]>;
  controlBatch(batchId: string, action: 'pause' | 'resume' | 'cancel' | 'retry-failed'): Promise<BatchView>;
  batchItems(batchId: string, afterIdx?: number, limit?: number): Promise<{ idx: number; label: string; status: string; runId?: string; error?: unknown }[]>;
  getRun(runId: string): Promise<RunView | null>;
  listRuns(query: ListRunsQuery): Promise<{ runs: RunView[]; nextCursor?: string }>;
  /** Resolves when the run reaches a terminal state, or with the current view at the timeout. */
  waitForRun(runId: string, timeoutMs: number): Promise<RunView>;
  /**
   * Replays the run's events after `afterEventId` from the database, then delivers
   * live ones (from any worker process). Returns an unsubscribe function.
   */
  subscribe(runId: string, afterEventId: number, listener: (event: RunEvent) => void): () => void;
  /**
   * A Freepik webhook: verifies signature (all versioned signatures in the header),
   * timestamp tolerance and replayed webhook-id, then applies the status change.
   * Throws PikflowError('webhook_rejected') with a reason.
   */
  acceptWebhook(request: {
    headers: Record<string, string | string[] | undefined>;
    rawBody: string;
    /** The webhook URL's query: `node_run` and `attempt` identify the submission that created the task. */
    query?: Record<string, unknown>;
  }): Promise<void>;
}
