/**
 * Shapes the REST API returns and the editor consumes. Pure types: the web bundle
 * imports them without pulling server code.
 */
import type { PipelineDocument, PipelineProblem } from './document.ts';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type NodeRunStatus =
  | 'pending'
  | 'queued'
  | 'running'
  | 'submitted'
  /** Queued, but a Freepik limit (quota-table) keeps it from submitting until `waiting.until`. */
  | 'waiting_for_quota'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled'
  /** Served from the result cache: no request was made; `cachedFrom` names the run that produced it. */
  | 'cached'
  /** Bypassed in the document: nothing was sent, its outputs are inputs passed through (bypass.ts). */
  | 'bypassed';

/** How a run uses the node-result cache: reuse (default), re-run every node and overwrite, or bypass it. */
export type CacheMode = 'use' | 'refresh' | 'off';

/** Where a cached node's outputs came from. */
export interface CachedFrom {
  runId: string;
  nodeRunId: string;
}

/** A stored file. `url` is served by this server (`/api/assets/:id`), relative to its origin. */
export interface AssetRef {
  assetId: string;
  url: string;
  mime: string;
  size?: number;
  width?: number;
  height?: number;
}

export interface ErrorView {
  code: string;
  message: string;
  nodeId?: string;
}

export interface NodeRunView {
  nodeId: string;
  nodeType: string;
  status: NodeRunStatus;
  taskId?: string;
  attempt: number;
  pollCount: number;
  /**
   * A submission whose answer was lost was sent again (the documented policy, see the engine's
   * README): Freepik may have charged for this node twice.
   */
  possibleDuplicateCharge?: true;
  startedAt?: string;
  submittedAt?: string;
  finishedAt?: string;
  /** Values per input port as the node received them (assets as AssetRef). */
  inputs?: Record<string, unknown>;
  /** Values per output port (image ports: AssetRef; lists: AssetRef[]). */
  outputs?: Record<string, unknown>;
  error?: ErrorView;
  /** status 'cached': the run and node run that produced the outputs. */
  cachedFrom?: CachedFrom;
  /** While `waiting_for_quota`: which service's limit, why (daily, per_second, concurrent, retry_after) and when it expects to go. */
  waiting?: QuotaWaitView;
  /** While the engine waits to repeat a request for this node (a 503, a refused connection): what, why and when. */
  retrying?: RetryView;
}

/**
 * A request the engine is about to repeat. `attempt` is the attempt that will be made at
 * `retryAt` (2 = the first retry); `reason` is short and human ('HTTP 503', 'connection refused').
 */
export interface RetryView {
  what: 'submit' | 'status' | 'list' | 'download';
  reason: string;
  attempt: number;
  retryAt: string;
}

export interface QuotaWaitView {
  service: string;
  reason: 'daily' | 'per_second' | 'concurrent' | 'retry_after';
  until: string;
}

/** What a run cost: nodes served from the cache, Freepik submissions and all Freepik requests (submissions + status checks). */
export interface RunUsage {
  cachedNodes: number;
  freepikSubmissions: number;
  freepikRequests: number;
}

export interface RunView {
  id: string;
  pipelineId?: string;
  pipelineVersion?: number;
  status: RunStatus;
  inputs: Record<string, unknown>;
  /** Values per Output node name. */
  outputs?: Record<string, unknown>;
  error?: ErrorView;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  nodes: NodeRunView[];
  usage: RunUsage;
}

export type RunEventType =
  | 'run.queued'
  | 'run.started'
  | 'node.queued'
  | 'node.started'
  | 'node.submitted'
  | 'node.progress'
  | 'node.waiting'
  | 'node.retrying'
  | 'node.completed'
  | 'node.failed'
  | 'node.skipped'
  | 'run.finished';

/** One live-progress event; `id` increases within a run (SSE Last-Event-ID). */
export interface RunEvent {
  id: number;
  runId: string;
  type: RunEventType;
  nodeId?: string;
  at: string;
  /** node.submitted: {taskId}; node.progress: {status, pollCount}; node.waiting: QuotaWaitView;
   *  node.retrying: RetryView (the node's status is unchanged: it is still running or submitted); node.completed: {outputs};
   *  (a node served from the result cache: node.completed {outputs, status: 'cached', cachedFrom});
   *  node.failed: {error}; run.finished: {status, outputs?, error?}. */
  data?: Record<string, unknown>;
}

/** Freepik requests of one service on one day (usage ledger). */
export interface UsageCounts {
  /** Submissions Freepik accepted or that are in flight (what the daily quota counts). */
  submissions: number;
  /** Submissions Freepik answered 429 (retried later, not counted against the day). */
  refused: number;
  statusReads: number;
  lists: number;
}

/** GET /api/usage: today's (UTC) and recent days' Freepik requests per service against the plan's limits. */
export interface UsageView {
  plan: 'free' | 'premium' | 'none';
  today: string;
  services: {
    service: string;
    /** perDay null: no daily limit known; available false: not on this plan. */
    limits: { perDay: number | null; available: boolean; perSecond?: number; concurrent?: number };
    today: UsageCounts;
    remainingToday?: number;
  }[];
  /** Newest first. */
  days: { day: string; services: Record<string, UsageCounts> }[];
}

/** POST /api/pipelines/:id/estimate: Freepik submissions (and money) for `runs` runs, before anything is spent. */
export interface EstimateView {
  runs: number;
  submissionsPerRun: number;
  submissions: number;
  /** Every service's submissions fit in what is left of today's quota. */
  fitsToday: boolean;
  /** When today's (UTC) daily quotas reset. */
  resetsAt: string;
  /** Submissions the result cache spares (identical earlier results, identical items of the batch). */
  cachedSubmissions: number;
  /** The runs' inputs were known and the cache consulted: `submissions` leaves out what it holds. */
  cacheAware: boolean;
  services: {
    service: string;
    /** Submissions per node type. */
    endpoints: Record<string, number>;
    submissions: number;
    /** Submissions of this service the result cache spares. */
    cached?: number;
    perDay: number | null;
    usedToday: number;
    /** Still to be submitted by runs already started. */
    pendingToday: number;
    remainingToday?: number;
    fitsToday: boolean;
    /** Not on the plan, or not fitting today (how many would wait for the reset). */
    problem?: string;
  }[];
  /** With a price table covering every endpoint of the pipeline; approximate when an upscaler's input size was assumed. */
  cost?: { currency: string; amount: number; approximate?: boolean };
  /** Per Freepik node: its submissions, those the cache spares, and its price when it is priced per request. */
  nodes: { nodeId: string; nodeType: string; service: string; submissions: number; cached: number; cost?: number }[];
}

/** GET /api/batches/:id: a batch's items by status, throughput and ETA. */
export interface BatchView {
  id: string;
  pipelineId?: string;
  /** running: admitting items as capacity frees; paused: admitting none (runs in flight finish); completed: every item ended. */
  status: 'running' | 'paused' | 'cancelled' | 'completed';
  total: number;
  maxInFlight: number;
  /** Items by status: pending (not started yet), the run's status once started, invalid (refused when started). */
  counts: { pending: number; queued: number; running: number; succeeded: number; failed: number; cancelled: number; invalid: number };
  /** Items finished per second since the first started. */
  itemsPerSecond?: number;
  etaSeconds?: number;
  /** Why the batch paused by itself (a budget). */
  error?: ErrorView;
  createdAt: string;
  finishedAt?: string;
}

export interface PipelineSummary {
  id: string;
  name: string;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
}

export interface PipelineView extends PipelineSummary {
  version: number;
  document: PipelineDocument;
  /** Versions, newest first. */
  versions?: { version: number; createdAt: string }[];
}

export interface TemplateView {
  id: string;
  name: string;
  description: string;
  document: PipelineDocument;
}

export interface HealthView {
  status: 'ok';
  mode: 'simulator' | 'freepik';
  database: 'pglite' | 'postgres';
  version: string;
  webhooks: boolean;
}

/** Body of every 4xx/5xx response. */
export interface ApiErrorBody {
  error: { code: string; message: string; nodeId?: string; field?: string; problems?: (PipelineProblem | { message: string; field?: string; nodeId?: string })[] };
}
