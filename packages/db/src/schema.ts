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
    createdAt: createdAt(),
    startedAt: ts('started_at'),
    submittedAt: ts('submitted_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [uniqueIndex('node_runs_run_node').on(t.runId, t.nodeId), index('node_runs_task').on(t.taskId)],
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
});

/** API tokens, stored as SHA-256 hashes. */
export const apiTokens = pgTable('api_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: createdAt(),
  lastUsedAt: ts('last_used_at'),
});
