import { sql } from 'drizzle-orm';
import {
  bigserial,
  index,
  integer,
  boolean,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const ts = (name: string) => timestamp(name, { withTimezone: true });

export const pipelines = pgTable('pipelines', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  latestVersion: integer('latest_version').notNull().default(1),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  /** Soft delete: runs keep pointing at their versions. */
  deletedAt: ts('deleted_at'),
});

/** Saved versions never change; a save makes a new row. */
export const pipelineVersions = pgTable(
  'pipeline_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    pipelineId: uuid('pipeline_id')
      .notNull()
      .references(() => pipelines.id),
    version: integer('version').notNull(),
    document: jsonb('document').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('pipeline_versions_pipeline_version').on(t.pipelineId, t.version)],
);

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const runs = pgTable(
  'runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    pipelineId: uuid('pipeline_id').references(() => pipelines.id),
    pipelineVersionId: uuid('pipeline_version_id').references(() => pipelineVersions.id),
    /** The document as it was when the run started: a run is a snapshot. */
    document: jsonb('document').notNull(),
    inputs: jsonb('inputs').notNull().default(sql`'{}'::jsonb`),
    status: text('status').$type<RunStatus>().notNull().default('queued'),
    outputs: jsonb('outputs'),
    /** {code, message, nodeId} of what ended the run. */
    error: jsonb('error'),
    createdAt: createdAt(),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [index('runs_pipeline_created').on(t.pipelineId, t.createdAt), index('runs_status').on(t.status)],
);

export const NODE_RUN_STATUSES = [
  'pending',
  'queued',
  'running',
  'submitted',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type NodeRunStatus = (typeof NODE_RUN_STATUSES)[number];

/**
 * One row per node of a run. `submitState` journals the Freepik submission:
 * 'submitting' is written before the POST, 'submitted' with the task id right
 * after, so a restart knows whether a task may exist and never pays twice.
 */
export const nodeRuns = pgTable(
  'node_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    nodeId: text('node_id').notNull(),
    nodeType: text('node_type').notNull(),
    status: text('status').$type<NodeRunStatus>().notNull().default('pending'),
    attempt: integer('attempt').notNull().default(0),
    idempotencyKey: uuid('idempotency_key').notNull().defaultRandom(),
    submitState: text('submit_state').$type<'none' | 'submitting' | 'submitted' | 'ambiguous'>().notNull().default('none'),
    taskId: text('task_id'),
    requestSummary: jsonb('request_summary'),
    inputs: jsonb('inputs'),
    outputs: jsonb('outputs'),
    error: jsonb('error'),
    /** The engine process (engine_processes.id) that journaled 'submitting': while it is alive its POST may still be answered. */
    owner: text('owner'),
    /** A sync endpoint's answer, journaled with its task id so a restart completes from it instead of waiting. */
    syncResult: jsonb('sync_result'),
    /**
     * Set when a submission whose answer was lost was sent again (the documented policy for
     * sync endpoints and for async ones the task list cannot settle): Freepik may have charged twice.
     */
    possibleDuplicateCharge: boolean('possible_duplicate_charge').notNull().default(false),
    pollCount: integer('poll_count').notNull().default(0),
    nextPollAt: ts('next_poll_at'),
    /**
     * While the HTTP client waits to repeat a request for this node (a 503, a refused
     * connection): {what, reason, attempt, retryAt}. Kept on the row, not in the worker's
     * memory, so every server process (and a page that reloads or polls) sees it; cleared when
     * the request returns, and read only while fresh (engine toRunView), so a worker that died
     * mid-wait leaves nothing shown for long.
     */
    retrying: jsonb('retrying'),
    createdAt: createdAt(),
    startedAt: ts('started_at'),
    submittedAt: ts('submitted_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    uniqueIndex('node_runs_run_node').on(t.runId, t.nodeId),
    index('node_runs_task').on(t.taskId),
    // In-flight node runs per endpoint: the per-key concurrency count (engine limiter.ts).
    index('node_runs_in_flight').on(t.nodeType).where(sql`status IN ('running', 'submitted')`),
  ],
);

/**
 * Idempotency-Key of the REST trigger: a retried POST with the same key (and the same body,
 * by fingerprint) gets the run the first one started. Inserted with the run, in one statement.
 */
export const runIdempotencyKeys = pgTable(
  'run_idempotency_keys',
  {
    pipelineId: uuid('pipeline_id').notNull(),
    key: text('key').notNull(),
    /** SHA-256 of the request (pipeline, version, inputs). */
    fingerprint: text('fingerprint').notNull(),
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.pipelineId, t.key] })],
);

/** Durable event log of a run: SSE replays it, so a late subscriber sees everything. */
export const runEvents = pgTable(
  'run_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    nodeId: text('node_id'),
    payload: jsonb('payload'),
    createdAt: createdAt(),
  },
  (t) => [index('run_events_run').on(t.runId, t.id)],
);

export const assets = pgTable(
  'assets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sha256: text('sha256').notNull(),
    mime: text('mime').notNull(),
    size: integer('size').notNull(),
    width: integer('width'),
    height: integer('height'),
    filename: text('filename'),
    /** Where the bytes live in the asset store (a path under the assets folder). */
    storageKey: text('storage_key').notNull(),
    source: text('source').$type<'upload' | 'generated'>().notNull(),
    runId: uuid('run_id'),
    nodeId: text('node_id'),
    createdAt: createdAt(),
  },
  (t) => [index('assets_sha256').on(t.sha256)],
);

/** webhook-id values already accepted: a replay is refused. */
export const webhookDeliveries = pgTable('webhook_deliveries', {
  webhookId: text('webhook_id').primaryKey(),
  taskId: text('task_id'),
  receivedAt: createdAt(),
});

/**
 * Engine processes that take jobs, with a heartbeat: a submission whose owner stopped beating is
 * known orphaned and is reconciled at once instead of after the submit window.
 */
export const engineProcesses = pgTable('engine_processes', {
  id: text('id').primaryKey(),
  pid: integer('pid'),
  startedAt: createdAt(),
  heartbeatAt: ts('heartbeat_at').notNull().defaultNow(),
  /** On PostgreSQL: the key of the advisory lock this process holds while alive (its lease; see engine liveness.ts). */
  leaseKey: integer('lease_key'),
  /**
   * The pg-boss jobs this process held at its last heartbeat: an active job no living process
   * holds (and older than their heartbeats) is a dead process's, taken over at once (executor sweep).
   */
  heldJobs: uuid('held_jobs').array(),
});

/** API tokens, stored as SHA-256 hashes. */
export const apiTokens = pgTable('api_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: createdAt(),
  lastUsedAt: ts('last_used_at'),
});

export const NODE_CACHE_STATES = ['pending', 'ready'] as const;
export type NodeCacheState = (typeof NODE_CACHE_STATES)[number];

/**
 * The node-result cache (packages/engine/src/node-cache.ts): one row per content-addressed key
 * (node definition id + version, canonical params, inputs by content, service target, re-roll
 * nonce). 'pending' is an in-flight claim by the node run `node_run_id` (identical nodes
 * elsewhere wait for it instead of paying again); 'ready' holds the outputs as re-hosted assets,
 * with the run and node run that produced them.
 */
export const nodeCache = pgTable(
  'node_cache',
  {
    key: text('key').primaryKey(),
    nodeType: text('node_type').notNull(),
    definitionVersion: integer('definition_version').notNull(),
    state: text('state').$type<NodeCacheState>().notNull(),
    outputs: jsonb('outputs'),
    /** The run and node run that claimed the key and, once ready, produced the outputs. */
    runId: uuid('run_id').notNull(),
    nodeRunId: uuid('node_run_id').notNull(),
    claimedAt: ts('claimed_at').notNull().defaultNow(),
    storedAt: ts('stored_at'),
    /** Entries of nodes whose results change over time (a TTL in the catalog) stop serving after this. */
    expiresAt: ts('expires_at'),
  },
  (t) => [index('node_cache_node_run').on(t.nodeRunId), index('node_cache_node_type').on(t.nodeType)],
);

/**
 * The usage ledger: one row per Freepik request (submission, status read, task list). Rows of
 * submissions are also the quota limiter's memory (engine limiter.ts): they are written under
 * its lock before the POST, so every worker counts them.
 */
export const freepikRequests = pgTable(
  'freepik_requests',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The quota service (engine quota-table.ts), e.g. image-upscaler. */
    service: text('service').notNull(),
    /** The endpoint as a catalog node type. */
    endpoint: text('endpoint').notNull(),
    kind: text('kind').$type<'submit' | 'status' | 'list'>().notNull(),
    runId: uuid('run_id'),
    nodeRunId: uuid('node_run_id'),
    /** HTTP status of the answer; null while a submission is in flight or when it was lost. */
    status: integer('status'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('freepik_requests_submits').on(t.service, t.at).where(sql`kind = 'submit'`),
    index('freepik_requests_at').on(t.at),
    index('freepik_requests_node_run').on(t.nodeRunId),
  ],
);

/** What the limiter learnt from Freepik: a 429's Retry-After blocks a service until then. */
export const quotaState = pgTable('quota_state', {
  service: text('service').primaryKey(),
  blockedUntil: timestamp('blocked_until', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Node runs waiting for quota (shown as `waiting_for_quota` with `until`); deleted when the node gets its slot. */
export const quotaWaits = pgTable(
  'quota_waits',
  {
    nodeRunId: uuid('node_run_id')
      .primaryKey()
      .references(() => nodeRuns.id, { onDelete: 'cascade' }),
    runId: uuid('run_id').notNull(),
    service: text('service').notNull(),
    /** daily | per_second | concurrent | retry_after */
    reason: text('reason').notNull(),
    until: timestamp('until', { withTimezone: true }).notNull(),
    tries: integer('tries').notNull().default(1),
    since: createdAt(),
  },
  (t) => [index('quota_waits_run').on(t.runId)],
);

export const BATCH_STATUSES = ['running', 'paused', 'cancelled', 'completed'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** Many runs of one pipeline version; the engine's admission loop (batches.ts) starts its items as capacity frees. */
export const batches = pgTable(
  'batches',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    pipelineId: uuid('pipeline_id').references(() => pipelines.id),
    pipelineVersionId: uuid('pipeline_version_id').references(() => pipelineVersions.id),
    document: jsonb('document').notNull(),
    status: text('status').$type<BatchStatus>().notNull().default('running'),
    total: integer('total').notNull(),
    /** Items whose runs may be unfinished at once. */
    maxInFlight: integer('max_in_flight').notNull(),
    /** Why the batch paused or stopped by itself (a budget), {code, message}. */
    error: jsonb('error'),
    createdAt: createdAt(),
    finishedAt: ts('finished_at'),
  },
  (t) => [index('batches_status').on(t.status)],
);

/**
 * One input set of a batch. `run_id` is chosen when the item is admitted, before its run is
 * written, so an admission interrupted by a crash is finished with the same id: at most one run per item.
 */
export const batchItems = pgTable(
  'batch_items',
  {
    batchId: uuid('batch_id')
      .notNull()
      .references(() => batches.id, { onDelete: 'cascade' }),
    idx: integer('idx').notNull(),
    /** The original file name, URL or row number: names the item's outputs. */
    label: text('label').notNull(),
    inputs: jsonb('inputs').notNull(),
    /**
     * pending → started (its run tells the rest) → ended (that run finished; set by the admission
     * loop so in-flight counts read only started items); invalid: its inputs were refused when it was started.
     */
    status: text('status').$type<'pending' | 'started' | 'ended' | 'invalid'>().notNull().default('pending'),
    runId: uuid('run_id'),
    error: jsonb('error'),
    startedAt: ts('started_at'),
  },
  (t) => [
    primaryKey({ columns: [t.batchId, t.idx] }),
    index('batch_items_status').on(t.batchId, t.status, t.idx),
    uniqueIndex('batch_items_run').on(t.runId),
  ],
);
