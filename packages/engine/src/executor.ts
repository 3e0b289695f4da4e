/**
 * The DAG executor. How a run moves, top to bottom:
 *
 * 1. startRun plans the run in memory and writes it in one transaction (one statement for the
 *    run, its node runs, uploaded input assets and events, plus the jobs): input nodes whose
 *    value needs no network (an asset id, text, numbers) are already 'succeeded', nodes whose
 *    inputs are all ready are 'queued' with a `node-execute` job. Output nodes need no work
 *    and complete inside the advance.
 * 2. `node-execute` {runId,nodeId} runs one node:
 *    - input nodes given a URL download it into an asset;
 *    - HTTP nodes: params (linked text/number inputs merged over same-named params) →
 *      inputs in the transport the port accepts (URL hand-off, base64, file bytes) →
 *      request() from the catalog → journal submitState='submitting' → POST →
 *      journal the task id ('submitted') first thing → sync: complete now; async:
 *      a `node-check` job due after the first poll delay (webhooks: a slow safety net).
 * 3. `node-check` {runId,nodeId} reads the task status once: COMPLETED → complete,
 *    FAILED → fail, otherwise the next check is scheduled with backoff (startAfter).
 *    A verified webhook calls the same complete/fail path, so a check that comes due
 *    afterwards finds the node finished and does nothing.
 * 4. complete: extract() → every file re-hosted into the asset store → outputs stored as
 *    AssetRef → in one transaction: node 'succeeded', downstream nodes queued with their
 *    jobs (advance), or the run finished. fail: node 'failed', its descendants 'skipped',
 *    and the run ends 'failed' naming the node once nothing else is running. A bypassed node
 *    completes inside the advance like an Output node, passing a same-typed input on (bypass.ts).
 *
 * Every transaction that advances a run locks its row (SELECT … FOR UPDATE) and reads the node
 * runs after the lock is granted (a separate statement on PostgreSQL, see lockRun), so two nodes
 * finishing at once on different workers cannot both miss a join; every terminal change of a
 * node run is made under that lock, so the read is exact and the transaction decides in memory. Jobs are inserted in the transactions that
 * imply them; everything else a transaction writes (node runs, the run, re-hosted asset rows,
 * events with the cross-process NOTIFY) is one statement, and events are published
 * in-process after commit. On PostgreSQL BEGIN and COMMIT travel with the first and last
 * statements and pg-boss's job inserts travel with COMMIT (see transaction()): a run at latency 0
 * costs about 13 round trips in all.
 *
 * Cost, not state: a job's handler in the process that created the job starts from the node
 * runs as that transaction committed them (a hand-off, see Handoff) instead of reading them
 * back; run snapshots (document, inputs) are cached, they never change. Neither is trusted
 * for a decision: the database guards (journal CAS, run lock) make them, and a handler that
 * finds its hand-off stale reads the database and starts over.
 *
 * Never paying twice: the journal CAS (submit_state 'none' → 'submitting', with the owning
 * process) lets exactly one executor POST for a node, and duplicated jobs (pg-boss retries,
 * recovery) only ever resume from the journal. A POST whose answer was lost is 'ambiguous': it is
 * reconciled through the endpoint's list route (adopt the one task nobody journaled, unless an
 * unfinished rival could own it: then fail `ambiguous_submit` recording the tasks seen; no task
 * after a grace period: send once more, marked possible_duplicate_charge). Sync answers are
 * journaled with their id; a lost one is re-sent once and marked (AMBIGUOUS_SUBMIT=fail refuses).
 * The file service upload is keyed by the node run's idempotency key, so re-POSTing it is safe.
 *
 * Recovery is continuous (sweep()): at start and every SWEEP_MS, node runs of open runs whose work
 * nobody has in hand (no live pg-boss job, or an owner whose heartbeat stopped) get their job
 * again, with singleton keys; runs with nothing in flight are advanced.
 */
import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import { and, desc, eq, inArray, isNull, ne, notInArray, sql } from 'drizzle-orm';
import {
  PikflowError,
  getNode,
  isPikflowError,
  readTask,
  type BinaryFile,
  type HttpExecution,
  type HttpRequest,
  type NodeDefinition,
  type PortType,
  type TaskSnapshot,
} from '@pikflow/catalog';
import { engineProcesses, nodeRuns, runs, type Db, type DbHandle, type NodeRunStatus, type RunStatus } from '@pikflow/db';
import {
  bypassRoutes,
  checkImageUrl,
  describeNode,
  isPrivateAddress,
  readImageReference,
  type AssetRef,
  type PipelineDocument,
  type PipelineNode,
  type RunEvent,
  type RunEventType,
} from '@pikflow/pipeline';
import { webhooksEnabled } from './config.ts';
import { EVENTS_CHANNEL, type EventBus } from './events.ts';
import { FreepikClient, isBinaryFile, messageOf, redactUrl, type RequestTag, type RetryNotice, type Service } from './freepik-client.ts';
import { batchedTransaction } from './batched-transaction.ts';
import { onQuotaExhaustedOf, type QuotaLimiter, type QuotaWait } from './limiter.ts';
import { QUEUES, liveJobsSql, type JobQueue, type NodeJobData, type QueueName, type RawClient, type SingletonJob } from './jobs.ts';
import type { AssetRow, LocalAssetStore } from './asset-store.ts';
import { NodeCache } from './node-cache.ts';
import { imageLimitMessage, type LimitedPort } from './image-limit-checks.ts';
import { webhookCorrelationTag } from './webhook.ts';
import { processAliveSql } from './liveness.ts';
import type { EngineConfig, StoredAsset } from './types.ts';

/** What a job needs of its run: the snapshot (cached, it never changes) and the current status. */
interface RunInfo {
  id: string;
  status: RunStatus;
  inputs: Record<string, unknown>;
}
type NodeRunRow = typeof nodeRuns.$inferSelect;
/** `tasks`: unclaimed tasks an ambiguous node saw when it gave up (its possible orphans, never adopted by another). */
type ErrorJson = { code: string; message: string; nodeId?: string; tasks?: string[] };

const TERMINAL_NODE: readonly NodeRunStatus[] = ['succeeded', 'failed', 'skipped', 'cancelled'];
const TERMINAL_RUN: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];
/** Submissions refused because Freepik could not fetch our own asset URLs: sent at most this many times (back-off 2, 4, 8, 16, 30… s). */
const OWN_ASSET_ATTEMPTS = 8;
/** A journaled sync answer is completed from the journal by a check this long after it (if its process died meanwhile). */
const SYNC_RESUME_MS = 10_000;
/** A lost submission whose task is not in the endpoint's list this long after the POST began is taken as never created. */
const LIST_GRACE_MS = 3_000;
/** How long an ambiguous submission waits for lower-id rivals to decide first. */
const RIVAL_ORDER_MAX_MS = 60_000;
/** How often each job-taking process runs the recovery sweep. */
export const SWEEP_MS = 15_000;
/**
 * A second look after a death, for the jobs the dead process took in its last second (too young
 * then to tell from a living process's newest, not yet listed, job: see liveJobsSql).
 */
const DEAD_FOLLOW_UP_MS = 2_000;
/** The slot of a sweep's singleton jobs: sweeps of several processes racing send one job, and a job lost again (its taker died too) can be sent again within seconds. */
const SWEEP_SINGLETON_SECONDS = 2;
/** With webhooks on, polling is only a safety net. */
const WEBHOOK_SAFETY_POLL_MS = 30_000;

const isTerminalNode = (s: string) => (TERMINAL_NODE as readonly string[]).includes(s);
export const isTerminalRun = (s: string) => (TERMINAL_RUN as readonly string[]).includes(s);

/** What a transaction collects and what happens after it commits. */
interface Tx {
  db: Db;
  raw: RawClient;
  runId: string;
  event(type: RunEventType, nodeId?: string, data?: Record<string, unknown>): void;
  job(queue: QueueName, nodeId: string, delayMs?: number, singleton?: SingletonJob): void;
  /** A node run's new status (and what comes with it): written with the events in one statement before commit. */
  writeNode(change: NodeChange): void;
  /** The run's new status: written with the events in one statement before commit. */
  writeRun(change: RunChange): void;
  /** An asset row (a re-hosted result): written with the rest in one statement before commit. */
  writeAsset(row: AssetRow): void;
  /** The run's node runs as this transaction commits them: handed to this process's handlers of its jobs. */
  handoff(rows: NodeRunRow[]): void;
}

/**
 * A hand-off: the node runs as the transaction that created a job committed them, kept for
 * this process's handler of that job so it need not read them back. Only a fast path: upstream
 * outputs never change once a node succeeded, and every decision the handler writes is guarded
 * in the database (the submission compare-and-set, the run lock of completions); a handler that
 * finds its hand-off stale (the compare-and-set fails) reads the database and starts over.
 */
interface Handoff {
  rows: NodeRunRow[];
  /** Not used after this time (Date.now() ms): older state is read again. */
  until: number;
}
/** How long a hand-off stays usable after the job comes due. */
const HANDOFF_TTL_MS = 2_000;
/** Checks due later than this read the database (a webhook may finish the node meanwhile). */
const HANDOFF_MAX_DELAY_MS = 1_000;

/** A status change of a node run; terminal statuses also stamp finished_at and clear next_poll_at. */
interface NodeChange {
  id: string;
  status: NodeRunStatus;
  outputs?: Record<string, unknown>;
  inputs?: Record<string, unknown>;
  error?: ErrorJson;
  /** Status requests to add to poll_count. */
  polled?: number;
}

interface RunChange {
  status: RunStatus;
  started?: boolean;
  outputs?: Record<string, unknown>;
  error?: ErrorJson | null;
}

/** A run as read under its row lock: its status and every node run (updated in memory as the transaction writes). */
interface RunState {
  status: RunStatus;
  rows: NodeRunRow[];
  byNode: Map<string, NodeRunRow>;
}

type PendingEvent = { type: RunEventType; nodeId?: string; data?: Record<string, unknown> };
type EventRow = { id: number | string; run_id: string; type: string; node_id: string | null; payload: unknown; created_at: Date | string };

interface NodeContext {
  run: RunInfo;
  doc: PipelineDocument;
  node: PipelineNode;
  def: NodeDefinition;
  row: NodeRunRow;
  /** Every node run of the run, by node id (upstream outputs). */
  byNode: Map<string, NodeRunRow>;
  log: Logger;
  /** Built from a hand-off rather than read from the database. */
  handedOff?: boolean;
}

export interface ExecutorDeps {
  config: EngineConfig;
  handle: DbHandle;
  jobs: JobQueue;
  events: EventBus;
  assets: LocalAssetStore;
  client: FreepikClient;
  /** Freepik's limits across workers and the usage ledger (limiter.ts). */
  quota: QuotaLimiter;
  logger: Logger;
  /** This process's id in engine_processes (its heartbeat): journaled as the owner of its submissions. */
  processId: string;
}

export class Executor {
  private readonly db: Db;
  private readonly config: EngineConfig;
  private readonly log: Logger;
  /** Hand-offs by `${runId}\n${nodeId}\n${queue}` (bounded; see Handoff). */
  private readonly handoffs = new Map<string, Handoff>();
  /** Run snapshots by run id: a run's document and inputs never change, so each is read once. */
  private readonly snapshots = new Map<string, { document: PipelineDocument; inputs: Record<string, unknown> }>();
  /** The node-result cache (node-cache.ts); consulted only in servedFromCache and completeWithOutputs. */
  private readonly cache: NodeCache;
  /** When set, the death watch sweeps once more then (see reapDeadProcesses). */
  private followUpSweepAt: number | undefined;
  /** Node runs whose POST is awaiting its answer in this process. */
  private readonly inFlight = new Set<string>();
  /** Node runs with a retry notice on their row from a request of this process: the latest notice's write. */
  private readonly retryNotices = new Map<string, Promise<void>>();

  constructor(private readonly deps: ExecutorDeps) {
    this.db = deps.handle.db;
    this.config = deps.config;
    this.log = deps.logger;
    this.cache = new NodeCache({
      handle: deps.handle,
      assets: deps.assets,
      config: deps.config,
      wake: (runId, nodeId) => void this.executeNode({ runId, nodeId }).catch((error: Error) => this.log.warn({ err: error.message, runId, nodeId }, 'woken node failed; its job retries')),
    });
  }

  // ---------------------------------------------------------------------------------------
  // 1. Start: record the run and advance it.

  async createRun(values: {
    document: PipelineDocument;
    inputs: Record<string, unknown>;
    pipelineId?: string;
    pipelineVersionId?: string;
    /** Uploaded inputs whose rows are inserted with the run. */
    uploads?: { asset: StoredAsset; row: AssetRow }[];
    /** Chosen by the caller (a batch item's, so a retried admission cannot make a second run). */
    runId?: string;
    /** The caller's Idempotency-Key, inserted with the run (a concurrent twin fails on the primary key). */
    idempotency?: { scope: string; key: string; fingerprint: string };
  }): Promise<string> {
    const runId = values.runId ?? randomUUID();
    const { document, inputs } = values;
    const uploads = values.uploads ?? [];
    this.remember(runId, document, inputs);
    // Input nodes that need no network (an asset id, text, numbers) are done before the run is even
    // written: they are stored succeeded with the run instead of costing a job each.
    const local = await this.resolveLocalInputs(document, inputs, new Map(uploads.map((u) => [u.asset.assetId, u.asset])));
    // Nobody else can see this run before it commits: its node runs are planned in memory (input
    // nodes done, ready nodes queued) and written with the run and its events in one statement.
    const rows: NodeRunRow[] = document.nodes.map((n) => {
      const outputs = local.get(n.id);
      return {
        id: randomUUID(),
        runId,
        nodeId: n.id,
        nodeType: n.type,
        status: outputs ? 'succeeded' : 'pending',
        attempt: 0,
        idempotencyKey: randomUUID(),
        submitState: 'none',
        taskId: null,
        owner: null,
        syncResult: null,
        possibleDuplicateCharge: false,
        retrying: null,
        requestSummary: null,
        inputs: null,
        outputs: outputs ?? null,
        error: null,
        pollCount: 0,
        nextPollAt: null,
        createdAt: new Date(),
        startedAt: outputs ? new Date() : null,
        submittedAt: null,
        finishedAt: outputs ? new Date() : null,
      };
    });
    const events: PendingEvent[] = [{ type: 'run.queued' }, { type: 'run.started' }];
    for (const [nodeId, outputs] of local) events.push({ type: 'node.queued', nodeId }, { type: 'node.started', nodeId }, { type: 'node.completed', nodeId, data: { outputs } });
    let finished: RunChange | undefined;
    const jobs: { queue: QueueName; nodeId: string; delayMs: number; singleton?: SingletonJob }[] = [];
    const plan: Tx = {
      db: this.db,
      raw: this.autocommit(),
      runId,
      event: (type, nodeId, data) => events.push({ type, nodeId, data }),
      job: (queue, nodeId, delayMs = 0, singleton) => jobs.push({ queue, nodeId, delayMs, singleton }),
      // The rows are inserted as advance leaves them in memory.
      writeNode: () => {},
      writeRun: (change) => {
        finished = change;
      },
      writeAsset: () => {},
      handoff: () => {},
    };
    await this.advance(plan, { status: 'running', rows, byNode: new Map(rows.map((r) => [r.nodeId, r])) });

    const v: unknown[] = [runId];
    const param = (value: unknown) => {
      v.push(value);
      return `$${v.length}`;
    };
    const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
    const done = finished && isTerminalRun(finished.status);
    const nodeList = rows.map((r) => ({
      id: r.id,
      node_id: r.nodeId,
      node_type: r.nodeType,
      status: r.status,
      idempotency_key: r.idempotencyKey,
      outputs: r.outputs ?? null,
      inputs: r.inputs ?? null,
      error: r.error ?? null,
      started: r.startedAt !== null || r.status === 'succeeded',
      finished: isTerminalNode(r.status),
    }));
    const stored = uploads.length
      ? `stored AS (INSERT INTO assets (id, sha256, mime, size, width, height, filename, storage_key, source, run_id, node_id)
          SELECT a.id, a.sha256, a.mime, a.size, a.width, a.height, a.filename, a.storage_key, a.source, a.run_id, a.node_id
          FROM jsonb_to_recordset(${param(JSON.stringify(uploads.map((u) => u.row)))}::jsonb)
            AS a(id uuid, sha256 text, mime text, size integer, width integer, height integer, filename text, storage_key text, source text, run_id uuid, node_id text)), `
      : '';
    const text = `WITH ${stored}r AS (
        INSERT INTO runs (id, pipeline_id, pipeline_version_id, document, inputs, status, outputs, error, started_at, finished_at)
        VALUES ($1::uuid, ${param(values.pipelineId ?? null)}::uuid, ${param(values.pipelineVersionId ?? null)}::uuid, ${param(json(document))}::jsonb,
          ${param(json(inputs))}::jsonb, ${param(finished?.status ?? 'running')}, ${param(done ? json(finished!.outputs ?? {}) : null)}::jsonb,
          ${param(done ? json(finished!.error ?? null) : null)}::jsonb, now(), ${done ? 'now()' : 'NULL'})
      ), ${
        values.idempotency
          ? `k AS (INSERT INTO run_idempotency_keys (pipeline_id, key, fingerprint, run_id) VALUES (${param(values.idempotency.scope)}::uuid, ${param(values.idempotency.key)}, ${param(values.idempotency.fingerprint)}, $1::uuid)), `
          : ''
      }n AS (
        INSERT INTO node_runs (id, run_id, node_id, node_type, status, idempotency_key, outputs, inputs, error, started_at, finished_at)
        SELECT v.id, $1::uuid, v.node_id, v.node_type, v.status, v.idempotency_key, v.outputs, v.inputs, v.error,
          CASE WHEN v.started THEN now() END, CASE WHEN v.finished THEN now() END
        FROM jsonb_to_recordset(${param(JSON.stringify(nodeList))}::jsonb)
          AS v(id uuid, node_id text, node_type text, status text, idempotency_key uuid, outputs jsonb, inputs jsonb, error jsonb, started boolean, finished boolean)
      ), ${this.eventsCte(events, param)}`;
    const { lastRows } = await this.transaction(async (raw) => {
      for (const job of jobs) await this.deps.jobs.send(raw, job.queue, { runId, nodeId: job.nodeId }, job.delayMs, job.singleton);
      return { value: undefined, last: { text, values: v } };
    });
    const published = toRunEvents(lastRows as EventRow[]);
    for (const upload of uploads) this.deps.assets.remember(upload.asset);
    this.deps.events.publish(runId, published);
    this.handOff(runId, rows, jobs);
    for (const job of jobs) this.deps.jobs.wake(job.queue, job.delayMs);
    return runId;
  }

  /**
   * Outputs of the input nodes that can be resolved without the network: text and number
   * inputs, and images given as an asset id (the server turns data URIs into assets before
   * the run starts). URL inputs, and anything that would fail, are left to the node's job,
   * which downloads or reports the problem exactly as before.
   */
  private async resolveLocalInputs(
    document: PipelineDocument,
    inputs: Record<string, unknown>,
    uploads: Map<string, StoredAsset>,
  ): Promise<Map<string, Record<string, unknown>>> {
    const resolved = new Map<string, Record<string, unknown>>();
    for (const node of document.nodes) {
      const def = getNode(node.type);
      if (def?.execution.kind !== 'input') continue;
      const given = this.inputValue(inputs, node, def);
      const port = def.outputs[0]!;
      if (port.type !== 'image') {
        resolved.set(node.id, { [port.name]: given.value });
        continue;
      }
      if (given.value === undefined) continue;
      const ref = readImageReference(given.value, { maxImageBytes: this.config.maxDownloadBytes });
      if (typeof ref === 'string' || ref.kind !== 'asset') continue;
      const asset = uploads.get(ref.assetId) ?? (await this.deps.assets.get(ref.assetId).catch(() => null));
      if (asset) resolved.set(node.id, { [port.name]: assetRef(asset) });
    }
    return resolved;
  }

  /** The value an input node takes: the run input named by its `name` param, else its own default. */
  private inputValue(inputs: Record<string, unknown>, node: PipelineNode, def: NodeDefinition): { name: string; value: unknown } {
    return inputNodeValue(inputs, node, def);
  }

  // ---------------------------------------------------------------------------------------
  // 2. node-execute

  async executeNode({ runId, nodeId }: NodeJobData, fresh = false): Promise<void> {
    const ctx = (fresh ? null : this.takeHandoff(runId, nodeId, QUEUES.execute)) ?? (await this.load(runId, nodeId));
    if (!ctx || isTerminalRun(ctx.run.status) || isTerminalNode(ctx.row.status)) return;
    const { row, def } = ctx;
    try {
      if (def.execution.kind === 'input') return await this.runInputNode(ctx);
      if (def.execution.kind === 'output') return await this.advanceOnly(runId);
      const execution = def.execution as HttpExecution<unknown>;
      if (execution.service === 'file-service' && (row.submitState === 'submitting' || row.submitState === 'ambiguous')) {
        // The upload is keyed by the node run's idempotency key: sending it again is safe.
        await this.journalNoTask(row.id);
        row.submitState = 'none';
      }
      switch (row.submitState) {
        case 'none':
          if (await this.servedFromCache(ctx)) return;
          return await this.submit(ctx, execution);
        case 'submitted':
          // A duplicate job after the task id was journaled: the check jobs carry on.
          return;
        case 'submitting': {
          const window = this.submitWindowMs();
          const since = Date.now() - (row.startedAt?.getTime() ?? 0);
          // A dead owner's POST will never be answered: reconcile now rather than after the window.
          if (since < window && (await this.ownerAlive(row.owner)) !== false) {
            // Another executor may still be waiting for this POST's answer: look again later.
            return await this.inRunTx(runId, async (tx) => tx.job(QUEUES.execute, nodeId, window - since + 500));
          }
          return await this.reconcile(ctx, execution, 'the process stopped before Freepik answered the submission');
        }
        case 'ambiguous':
          return await this.reconcile(ctx, execution, 'the submission was left unresolved');
      }
    } catch (error) {
      if (!isPikflowError(error)) throw error; // infrastructure: let pg-boss retry the job
      await this.failNode(ctx, { code: error.code, message: error.message });
    }
  }

  private async runInputNode(ctx: NodeContext): Promise<void> {
    const { run, node, def } = ctx;
    const { name, value: given } = this.inputValue(run.inputs, node, def);
    const port = def.outputs[0]!;
    if (port.type === 'image') {
      if (given === undefined) throw new PikflowError('invalid_input', `${describeNode(node)} has no image: send "${name}"`, { nodeId: node.id, field: name });
      const asset = await this.resolveImageInput(given, ctx);
      await this.completeWithOutputs(ctx, { [port.name]: assetRef(asset) });
    } else {
      await this.completeWithOutputs(ctx, { [port.name]: given });
    }
  }

  /** An image run input: an asset id, a URL (downloaded after a public-address check) or a data URI. */
  private async resolveImageInput(value: unknown, ctx: NodeContext): Promise<StoredAsset> {
    const ref = readImageReference(value, { maxImageBytes: this.config.maxDownloadBytes });
    const field = String((ctx.node.params as Record<string, unknown>).name ?? ctx.node.id);
    if (typeof ref === 'string') throw new PikflowError('invalid_input', `${field}: ${ref}`, { nodeId: ctx.node.id, field });
    if (ref.kind === 'asset') {
      const asset = await this.deps.assets.get(ref.assetId);
      if (!asset) throw new PikflowError('invalid_input', `${field}: asset ${ref.assetId} does not exist`, { nodeId: ctx.node.id, field });
      return asset;
    }
    const bytes =
      ref.kind === 'data'
        ? Buffer.from(ref.base64, 'base64')
        : await downloadPublic(ref.url, this.config.maxDownloadBytes, false);
    return this.deps.assets.putUpload(bytes, ref.kind === 'url' ? lastPathSegment(ref.url) : undefined);
  }

  private async submit(ctx: NodeContext, execution: HttpExecution<unknown>): Promise<void> {
    const { node, def, row, run } = ctx;
    // Params and inputs first: nothing is journaled for a node that cannot even build its request.
    const { portValues, recorded } = this.gatherInputs(ctx);
    const params = this.parseParams(node, def, portValues);
    await this.checkImageLimits(ctx, portValues, params);
    const inputs = await this.transportInputs(ctx, portValues);
    // The URL names this submission (node run and the attempt the journal is about to record): a task
    // whose answer is lost still tells its owner who it is when it calls back (see adoptAnnounced);
    // the tag proves the pair is ours, since Freepik's signature covers the body, not the URL.
    const webhookUrl =
      execution.service === 'freepik' && webhooksEnabled(this.config)
        ? `${this.config.publicUrl}/api/webhooks/freepik?node_run=${row.id}&attempt=${row.attempt + 1}&tag=${webhookCorrelationTag(this.config.webhookSecret!, row.id, row.attempt + 1)}`
        : undefined;
    if (execution.mode === 'webhook-only' && !webhookUrl) {
      throw new PikflowError(
        'validation_failed',
        `${describeNode(node)}: this endpoint reports results only by webhook; set PUBLIC_URL and FREEPIK_WEBHOOK_SECRET so Freepik can call back`,
        { nodeId: node.id },
      );
    }
    const request = execution.request({ params, inputs, webhookUrl, idempotencyKey: row.idempotencyKey });
    // Freepik's limits (per day, per second, concurrent tasks, Retry-After), for the key across workers:
    // a node that may not submit now waits, visibly, rather than fail or collect 429s.
    let ledgerId: number | undefined;
    if (execution.service === 'freepik') {
      const admission = await this.deps.quota.admit({ nodeRunId: row.id, runId: run.id, nodeType: node.type });
      if (admission.kind === 'unavailable') throw new PikflowError('quota_unavailable', `${describeNode(node)}: ${admission.message}`, { nodeId: node.id });
      if (admission.kind === 'wait') {
        if (admission.reason === 'daily' && onQuotaExhaustedOf(ctx.doc) === 'fail') {
          // The run asked not to wait a day: fail now, saying which quota and when it comes back.
          await this.deps.quota.clearWait(row.id);
          return this.failNode(ctx, {
            code: 'quota_exhausted',
            message:
              `${describeNode(node)}: the daily Freepik quota of ${admission.service} (${admission.limit ?? '?'} requests per day, ${this.deps.quota.policy.plan} plan) is used up; ` +
              `it resets at ${admission.until.toISOString()} (the run asked to fail rather than wait: onQuotaExhausted "fail")`,
          });
        }
        return this.waitForQuota(ctx, admission);
      }
      ledgerId = admission.ledgerId;
    }

    // Journal before the POST: from here on a restart knows a task may exist. One statement
    // (the compare-and-set and its event, committed together): exactly one executor wins it.
    const started = await this.updateWithEvent(
      this.autocommit(),
      `UPDATE node_runs SET status = 'running', submit_state = 'submitting', attempt = attempt + 1,
         request_summary = $2::jsonb, inputs = $3::jsonb, started_at = now(), owner = $4
       WHERE id = $1 AND submit_state = 'none' AND status IN ('queued', 'running') RETURNING id`,
      [row.id, JSON.stringify(summarizeRequest(request, execution.service)), JSON.stringify(recorded), this.deps.processId],
      run.id,
      { type: 'node.started', nodeId: node.id },
    );
    if (!started.updated) {
      // Hand-off state was stale (a duplicate job, a retry): decide again from the database.
      if (ctx.handedOff) return this.executeNode({ runId: run.id, nodeId: node.id }, true);
      return; // another executor owns this node
    }
    this.deps.events.publish(run.id, started.events);

    const log = ctx.log;
    log.info({ request: summarizeRequest(request, execution.service) }, 'submitting');
    this.inFlight.add(row.id);
    row.owner = this.deps.processId;
    const result = await this.deps.client
      .submit(execution.service, request, log, { nodeType: node.type, runId: run.id, nodeRunId: row.id, nodeId: node.id, ledgerId })
      .finally(() => this.inFlight.delete(row.id));
    await this.clearRetryNotice(row.id);
    if (result.kind === 'rate_limited') {
      // No task exists. The limiter learns Retry-After for every worker; the node waits, it does not fail.
      log.info({ retryAfterMs: result.retryAfterMs }, 'Freepik answered 429');
      return this.waitForQuota(ctx, await this.deps.quota.rateLimited({ nodeRunId: row.id, runId: run.id, nodeType: node.type, ledgerId, retryAfterMs: result.retryAfterMs }));
    }
    if (result.kind === 'rejected') {
      await this.journalNoTask(row.id);
      // A refusal because Freepik could not fetch our own asset URL (this server restarting, not
      // yet listening) says nothing about the request: send it again later, a bounded number of times.
      if (await this.ownAssetsUnreachable(request, result)) return this.resubmitLater(ctx, result.message);
      return this.failNode(ctx, {
        code: result.status === 429 ? 'rate_limited' : result.status >= 500 ? 'upstream_error' : 'upstream_rejected',
        message: `${describeNode(node)}: ${execution.service === 'freepik' ? 'Freepik' : 'the file service'} refused the request (HTTP ${result.status}): ${result.message}`,
      });
    }
    if (result.kind === 'ambiguous') {
      if (execution.service === 'file-service') {
        // The upload is keyed by the idempotency key: sending it again overwrites, never duplicates.
        await this.journalNoTask(row.id);
        throw new Error(`file-service upload lost (${result.reason}); the job is retried`);
      }
      // Only if still unresolved: the task may have announced itself by webhook meanwhile (adoptAnnounced).
      const marked = await this.db
        .update(nodeRuns)
        .set({ submitState: 'ambiguous' })
        .where(and(eq(nodeRuns.id, row.id), eq(nodeRuns.submitState, 'submitting')))
        .returning({ id: nodeRuns.id });
      if (!marked.length) return;
      row.submitState = 'ambiguous';
      return this.reconcile(ctx, execution, result.reason);
    }

    const task = readTask(result.body);
    if (execution.mode === 'sync') {
      // The file service is idempotent (keyed upload): its result is journaled with the completion.
      // A Freepik sync answer is paid for: it is journaled with its id (one statement) before the
      // result is re-hosted, with a check job that completes from the journal if this process dies.
      if (execution.service === 'freepik') await this.journalTask(ctx, task.taskId ?? row.idempotencyKey, SYNC_RESUME_MS, result.body);
      // The answer is the result, but its status stays Freepik's own (LoRA training answers IN_PROGRESS).
      return this.completeFromTask(ctx, execution, task);
    }
    if (!task.taskId) {
      await this.journalNoTask(row.id);
      return this.failNode(ctx, { code: 'upstream_error', message: `${describeNode(node)}: Freepik accepted the request but sent no task id` });
    }
    const due = task.status === 'COMPLETED' || task.status === 'FAILED' ? null : this.firstCheckDelay(execution);
    await this.journalTask(ctx, task.taskId, due);
    if (task.status === 'COMPLETED' && task.generated.length) return this.completeFromTask(ctx, execution, task);
    if (task.status === 'FAILED') return this.failNode(ctx, taskFailure(task));
    if (due === null) await this.inRunTx(run.id, async (tx) => tx.job(QUEUES.check, node.id, 0));
  }

  /** Not now (a limit, or Freepik's 429): the node waits, with a `node.waiting` event when that is news, and its job comes back when it expects to go. */
  private async waitForQuota(ctx: NodeContext, wait: QuotaWait): Promise<void> {
    ctx.log.info({ service: wait.service, reason: wait.reason, until: wait.until }, 'waiting for quota');
    return this.inRunTx(ctx.run.id, async (tx) => {
      if (wait.changed) tx.event('node.waiting', ctx.node.id, { service: wait.service, reason: wait.reason, until: wait.until.toISOString() });
      tx.job(QUEUES.execute, ctx.node.id, wait.delayMs);
    });
  }

  /**
   * Whether a 4xx refusal of a request that hands Freepik our own asset URLs is (probably) about
   * fetching them: the message says so, or the first of them does not answer us either.
   */
  private async ownAssetsUnreachable(request: HttpRequest, result: { status: number; message: string }): Promise<boolean> {
    const { publicUrl } = this.config;
    if (!publicUrl || result.status === 429 || result.status >= 500) return false;
    const prefix = `${publicUrl}/api/assets/`;
    const own = JSON.stringify(request.body ?? null).match(new RegExp(`"(${escapeRegExp(prefix)}[0-9a-f-]{36})"`, 'i'))?.[1];
    if (!own) return false;
    if (/(download|fetch|retriev|reach)/i.test(result.message)) return true;
    return !(await answers(own));
  }

  /** The submission is sent again after a back-off (its journal was reset to 'none'), at most OWN_ASSET_ATTEMPTS times. */
  private async resubmitLater(ctx: NodeContext, problem: string): Promise<void> {
    const attempt = ctx.row.attempt + 1;
    if (attempt >= OWN_ASSET_ATTEMPTS) {
      return this.failNode(ctx, {
        code: 'assets_unreachable',
        message: `${describeNode(ctx.node)}: Freepik could not download this server's images (${problem}) after ${attempt} attempts; check that PUBLIC_URL (${this.config.publicUrl}) is reachable from Freepik`,
      });
    }
    const delay = Math.min(30_000, 1_000 * 2 ** attempt);
    ctx.log.warn({ attempt, retryInMs: delay, problem }, "Freepik could not fetch our asset URL; the submission is sent again later");
    await this.inRunTx(ctx.run.id, async (tx) => {
      tx.event('node.progress', ctx.node.id, { status: 'waiting_for_assets', attempt, retryInMs: delay });
      tx.job(QUEUES.execute, ctx.node.id, delay);
    });
  }

  /** Records the task id right after the POST answered, before anything else happens. */
  private async journalTask(ctx: NodeContext, taskId: string, checkDelayMs: number | null, syncResult?: unknown): Promise<void> {
    const { row, node, run } = ctx;
    ctx.log = ctx.log.child({ taskId });
    // The task id is kept even when the run was cancelled meanwhile: it was paid for. The journal
    // write and its event are one statement, and the check job commits with them (on PostgreSQL in
    // the same round trip). A check that finds its node cancelled does nothing.
    const journal = this.updateWithEventStatement(
      `UPDATE node_runs SET task_id = $2, submit_state = 'submitted', submitted_at = now(),
         status = CASE WHEN status = 'running' THEN 'submitted' ELSE status END, next_poll_at = $3::timestamptz,
         sync_result = coalesce($4::jsonb, sync_result)
       WHERE id = $1 RETURNING status`,
      [row.id, taskId, checkDelayMs === null ? null : new Date(Date.now() + checkDelayMs).toISOString(), syncResult === undefined ? null : JSON.stringify(syncResult)],
      run.id,
      { type: 'node.submitted', nodeId: node.id, data: { taskId } },
      `status = 'submitted'`,
    );
    await this.commitWithCheck(ctx, journal, checkDelayMs, (journaled) => {
      Object.assign(row, { taskId, submitState: 'submitted', status: 'submitted', submittedAt: new Date(), ...(syncResult === undefined ? {} : { syncResult }) });
      return journaled.events.length > 0;
    });
  }

  private async journalNoTask(nodeRunId: string): Promise<void> {
    await this.db.update(nodeRuns).set({ submitState: 'none' }).where(eq(nodeRuns.id, nodeRunId));
  }

  /**
   * A POST whose answer was lost. With a list route: adopt the single task of this endpoint
   * that no node run has journaled (created in the submit window when the list says when),
   * provided no other node run of the endpoint has an unresolved submission of its own (the
   * task could be its); several, none or a rival → the node fails with ambiguous_submit rather
   * than risk paying twice or taking another run's result.
   */
  private async reconcile(ctx: NodeContext, execution: HttpExecution<unknown>, reason: string): Promise<void> {
    const { node, row, run } = ctx;
    const fail = (detail: string, tasks?: string[]) =>
      this.failNode(ctx, {
        code: 'ambiguous_submit',
        message: `${describeNode(node)}: the submission to Freepik may or may not have created a task (${reason}); ${detail}. It was not re-sent to avoid paying twice.`,
        ...(tasks?.length ? { tasks } : {}),
      });
    if (execution.mode === 'sync' && execution.service === 'freepik') return this.lostSyncAnswer(ctx, execution, reason);
    if (!execution.listPath || execution.service !== 'freepik') return fail('this endpoint has no task list to check');

    // Rivals: other node runs of this endpoint whose submissions are unresolved too. Each may own
    // the task we would find (its POST may have got through where ours did not).
    const window = this.submitWindowMs();
    const startedAt = row.startedAt?.getTime() ?? Date.now();
    const rivals = await this.db
      .select({ id: nodeRuns.id, submitState: nodeRuns.submitState, startedAt: nodeRuns.startedAt, owner: nodeRuns.owner })
      .from(nodeRuns)
      // A finished node run is no rival: the tasks it saw unclaimed when it gave up are excluded below instead.
      .where(
        and(
          eq(nodeRuns.nodeType, node.type),
          inArray(nodeRuns.submitState, ['submitting', 'ambiguous']),
          isNull(nodeRuns.taskId),
          ne(nodeRuns.id, row.id),
          notInArray(nodeRuns.status, [...TERMINAL_NODE]),
        ),
      )
      .orderBy(desc(nodeRuns.startedAt))
      .limit(100);
    const near = rivals.filter((r) => Math.abs((r.startedAt?.getTime() ?? 0) - startedAt) <= window);
    // A rival still within its own submit window may be waiting for its answer in a live process:
    // decide once it has journaled its task (no longer a rival) or given up.
    const submitting = near.filter((r) => r.submitState === 'submitting' && (r.startedAt?.getTime() ?? 0) > Date.now() - window);
    const alive = await Promise.all(submitting.map((r) => this.ownerAlive(r.owner)));
    const inFlight = submitting.filter((_, i) => alive[i] !== false);
    if (inFlight.length) {
      const settles = Math.max(...inFlight.map((r) => r.startedAt!.getTime())) + window - Date.now() + 500;
      if (row.submitState !== 'ambiguous') await this.db.update(nodeRuns).set({ submitState: 'ambiguous' }).where(eq(nodeRuns.id, row.id));
      return this.inRunTx(run.id, async (tx) => tx.job(QUEUES.execute, node.id, settles));
    }
    // Unresolved rivals whose POSTs are over decide one at a time, the lowest id first (bounded): the
    // first gives up recording the tasks it saw, which lets the next decide without it as a rival.
    if (rivals.some((r) => r.id < row.id) && Date.now() < startedAt + window + RIVAL_ORDER_MAX_MS) {
      if (row.submitState !== 'ambiguous') await this.db.update(nodeRuns).set({ submitState: 'ambiguous' }).where(eq(nodeRuns.id, row.id));
      return this.inRunTx(run.id, async (tx) => tx.job(QUEUES.execute, node.id, 2_000));
    }

    let listed: { taskId: string; createdAt?: number }[];
    try {
      const body = await this.deps.client
        .getJson('freepik', execution.listPath, ctx.log, 'list', { nodeType: node.type, runId: run.id, nodeRunId: row.id, nodeId: node.id })
        .finally(() => this.clearRetryNotice(row.id));
      listed = readTaskList(body);
    } catch (error) {
      return fail(`listing its tasks failed (${(error as Error).message})`);
    }
    const windowStart = startedAt - 5_000;
    const candidates = listed.filter((t) => t.createdAt === undefined || t.createdAt >= windowStart);
    // Undated tasks could be any rival's, however long ago it submitted.
    const undated = candidates.some((t) => t.createdAt === undefined);
    const ids = candidates.map((c) => c.taskId);
    const known = new Set<string | null>();
    if (ids.length) {
      for (const r of await this.db.select({ taskId: nodeRuns.taskId }).from(nodeRuns).where(inArray(nodeRuns.taskId, ids))) known.add(r.taskId);
      // Possible orphans of node runs that gave up: never adopted here (they could be theirs).
      const gaveUp = await this.db
        .select({ error: nodeRuns.error })
        .from(nodeRuns)
        .where(and(eq(nodeRuns.nodeType, node.type), inArray(nodeRuns.status, [...TERMINAL_NODE]), sql`${nodeRuns.error} -> 'tasks' IS NOT NULL`))
        .limit(1_000);
      for (const r of gaveUp) for (const t of (r.error as ErrorJson).tasks ?? []) known.add(t);
    }
    const unclaimed = candidates.filter((c) => !known.has(c.taskId));
    // Rivals matter only when there is a task one could take from another; with none left, the no-task path below.
    if (unclaimed.length && (undated ? rivals : near).length) {
      return fail("another submission to this endpoint is just as unresolved, so a task in the list could be either one's", unclaimed.map((c) => c.taskId));
    }
    if (unclaimed.length > 1) return fail(`${unclaimed.length} unclaimed tasks were found and none can be told apart`, unclaimed.map((c) => c.taskId));
    if (unclaimed.length === 0) {
      // No task of ours exists, or the list does not show it yet: look again after a grace period, then send again (once).
      const wait = startedAt + LIST_GRACE_MS - Date.now();
      if (wait > 0) {
        if (row.submitState !== 'ambiguous') await this.db.update(nodeRuns).set({ submitState: 'ambiguous' }).where(eq(nodeRuns.id, row.id));
        return this.inRunTx(run.id, async (tx) => tx.job(QUEUES.execute, node.id, wait + 100));
      }
      if (this.config.ambiguousSubmit === 'fail' || row.possibleDuplicateCharge) return fail('no unclaimed task was found');
      return this.resendOnce(ctx, execution, `${reason}; no task of it is in the list`);
    }
    ctx.log.warn({ taskId: unclaimed[0]!.taskId }, 'ambiguous submission reconciled from the task list');
    await this.journalTask(ctx, unclaimed[0]!.taskId, 0);
  }

  /**
   * A sync endpoint's answer was lost (the POST was in flight when the process died, or its answer
   * never arrived): there is no task list to look in. The policy (README, "Guarantees"): send it
   * once more and mark the node run possibleDuplicateCharge; with AMBIGUOUS_SUBMIT=fail, or when
   * the re-sent answer is lost as well, the node fails with ambiguous_submit.
   */
  private async lostSyncAnswer(ctx: NodeContext, execution: HttpExecution<unknown>, reason: string): Promise<void> {
    const { node, row, run } = ctx;
    if (this.config.ambiguousSubmit === 'fail' || row.possibleDuplicateCharge) {
      const why = row.possibleDuplicateCharge ? 'it was already sent twice' : 'AMBIGUOUS_SUBMIT=fail';
      return this.failNode(ctx, {
        code: 'ambiguous_submit',
        message: `${describeNode(node)}: Freepik may have answered this synchronous request, but the answer was lost (${reason}); ${why}, so it was not re-sent.`,
      });
    }
    return this.resendOnce(ctx, execution, reason);
  }

  /**
   * Sends a submission whose answer was lost once more, marking the node run possibleDuplicateCharge
   * (visible in the run view); one executor wins the compare-and-set, and a node already marked is
   * never re-sent again.
   */
  private async resendOnce(ctx: NodeContext, execution: HttpExecution<unknown>, reason: string): Promise<void> {
    const { node, row, run } = ctx;
    const resent = await this.updateWithEvent(
      this.autocommit(),
      `UPDATE node_runs SET submit_state = 'none', task_id = NULL, status = 'running', possible_duplicate_charge = true
       WHERE id = $1 AND submit_state <> 'none' AND NOT possible_duplicate_charge AND status NOT IN ('succeeded', 'failed', 'skipped', 'cancelled') RETURNING id`,
      [row.id],
      run.id,
      { type: 'node.progress', nodeId: node.id, data: { status: 'resending', possibleDuplicateCharge: true, reason } },
    );
    this.deps.events.publish(run.id, resent.events);
    if (!resent.updated) return; // another executor took it
    ctx.log.warn({ reason }, 'submission answer lost: sending the request once more (possible duplicate charge)');
    Object.assign(row, { submitState: 'none', taskId: null, status: 'running', possibleDuplicateCharge: true });
    return this.submit(ctx, execution);
  }

  /**
   * A webhook for a task nobody journaled, whose URL names node run `nodeRunId` and submission
   * `attempt`: if that submission is still unresolved, the task is its own — journal it (with a
   * check job, as after the POST's answer) and the webhook is then applied as usual.
   */
  async adoptAnnounced(nodeRunId: string, attempt: number, taskId: string): Promise<boolean> {
    const [row] = await this.db.select({ runId: nodeRuns.runId, nodeId: nodeRuns.nodeId }).from(nodeRuns).where(eq(nodeRuns.id, nodeRunId));
    if (!row) return false;
    const ctx = await this.load(row.runId, row.nodeId);
    if (!ctx || ctx.def.execution.kind !== 'http' || isTerminalNode(ctx.row.status) || ctx.row.attempt !== attempt || ctx.row.taskId) return false;
    if (ctx.row.submitState !== 'submitting' && ctx.row.submitState !== 'ambiguous') return false;
    ctx.log.warn({ taskId, attempt }, 'task adopted from its webhook (the submission answer was lost or is still on its way)');
    await this.journalTask(ctx, taskId, this.firstCheckDelay(ctx.def.execution as HttpExecution<unknown>));
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // 3. node-check

  async checkNode({ runId, nodeId }: NodeJobData): Promise<void> {
    const ctx = this.takeHandoff(runId, nodeId, QUEUES.check) ?? (await this.load(runId, nodeId));
    if (!ctx || isTerminalRun(ctx.run.status) || isTerminalNode(ctx.row.status)) return;
    const { row, def } = ctx;
    if (row.submitState !== 'submitted' || !row.taskId || def.execution.kind !== 'http') return;
    const execution = def.execution as HttpExecution<unknown>;
    if (execution.mode === 'sync') {
      // The process that had the answer died before storing the result: finish from the journal.
      if (row.syncResult !== null && row.syncResult !== undefined) return this.completeFromTask(ctx, execution, readTask(row.syncResult));
      return this.lostSyncAnswer(ctx, execution, 'the answer was never journaled');
    }
    const elapsed = Date.now() - (row.submittedAt?.getTime() ?? Date.now());
    const timedOut = () =>
      this.failNode(ctx, {
        code: 'timeout',
        message: `${describeNode(ctx.node)}: Freepik task ${row.taskId} did not finish within ${Math.round(this.config.nodeTimeoutMs / 1000)} s`,
      });
    const remaining = Math.max(0, this.config.nodeTimeoutMs - elapsed);
    if (!execution.statusPath) {
      // webhook-only endpoints: nothing to poll; this check only enforces the timeout.
      if (remaining <= 0) return timedOut();
      return this.inRunTx(runId, async (tx) => tx.job(QUEUES.check, nodeId, remaining));
    }
    // The status is read even past the timeout: after a long outage the task may well have finished.
    let task: TaskSnapshot;
    try {
      task = readTask(
        await this.deps.client
          .getJson('freepik', execution.statusPath(row.taskId), ctx.log, 'status', { nodeType: ctx.node.type, runId, nodeRunId: row.id, nodeId })
          .finally(() => this.clearRetryNotice(row.id)),
      );
    } catch (error) {
      if (!isPikflowError(error)) throw error;
      if (error.code === 'upstream_rejected') return this.failNode(ctx, { code: error.code, message: error.message });
      if (remaining <= 0) return timedOut();
      // Freepik keeps failing: try again later, the node timeout bounds it.
      return this.scheduleCheck(ctx, Math.min(remaining, this.nextCheckDelay(row.pollCount, execution)), undefined);
    }
    if (remaining <= 0 && task.status !== 'COMPLETED' && task.status !== 'FAILED') return timedOut();
    if (task.status === 'COMPLETED') return this.completeFromTask(ctx, execution, task, 1);
    if (task.status === 'FAILED') return this.failNode(ctx, taskFailure(task), 1);
    return this.scheduleCheck(ctx, Math.min(remaining, this.nextCheckDelay(row.pollCount + 1, execution)), task.status);
  }

  /**
   * The next check, after a status read that found the task unfinished (`status`, counted and
   * reported as progress) or that failed (no status). One statement and the job, one round trip
   * on PostgreSQL; a check that comes due after the node finished (a webhook) does nothing.
   */
  private async scheduleCheck(ctx: NodeContext, delayMs: number, status: string | undefined): Promise<void> {
    const { row, node, run } = ctx;
    const statement = this.updateWithEventStatement(
      `UPDATE node_runs SET poll_count = poll_count + $2, next_poll_at = $3::timestamptz WHERE id = $1 AND status = 'submitted' RETURNING poll_count`,
      [row.id, status ? 1 : 0, new Date(Date.now() + delayMs).toISOString(), status ?? null],
      run.id,
      { type: 'node.progress', nodeId: node.id },
      status ? undefined : 'false',
      `jsonb_build_object('status', $4::text, 'pollCount', upd.poll_count)`,
    );
    await this.commitWithCheck(ctx, statement, delayMs, ({ updated }) => {
      if (updated) row.pollCount += status ? 1 : 0;
      return updated;
    });
  }

  /**
   * An updateWithEvent statement committed together with the node's next check job (when
   * `checkDelayMs` is given): one round trip on PostgreSQL. Then its event is published,
   * `committed` brings the in-memory row up to date and says whether the row changed as
   * intended (only then is it handed off to a check due soon), and local workers are woken.
   */
  private async commitWithCheck(
    ctx: NodeContext,
    statement: { text: string; values: unknown[] },
    checkDelayMs: number | null,
    committed: (result: { updated: boolean; events: RunEvent[] }) => boolean,
  ): Promise<void> {
    const { run, node } = ctx;
    const { lastRows } = await this.transaction(async (raw) => {
      if (checkDelayMs !== null) await this.deps.jobs.send(raw, QUEUES.check, { runId: run.id, nodeId: node.id }, checkDelayMs);
      return { value: undefined, last: statement };
    });
    const result = this.readUpdateWithEvent(lastRows);
    this.deps.events.publish(run.id, result.events);
    const changed = committed(result);
    if (checkDelayMs === null) return;
    const job = { queue: QUEUES.check, nodeId: node.id, delayMs: checkDelayMs };
    if (changed && checkDelayMs <= HANDOFF_MAX_DELAY_MS) this.handOff(run.id, [...ctx.byNode.values()], [job]);
    this.deps.jobs.wake(job.queue, job.delayMs);
  }

  private firstCheckDelay(execution: HttpExecution<unknown>): number {
    if (webhooksEnabled(this.config) || execution.mode === 'webhook-only' || !execution.statusPath) {
      return execution.statusPath ? WEBHOOK_SAFETY_POLL_MS : this.config.nodeTimeoutMs;
    }
    return this.config.poll.initialDelayMs;
  }

  /** Delay before check number `n + 1`: initial·factor^n, capped; slow when webhooks do the work. */
  private nextCheckDelay(pollCount: number, execution: HttpExecution<unknown>): number {
    const { initialDelayMs, factor, maxDelayMs } = this.config.poll;
    const delay = Math.min(maxDelayMs, Math.max(initialDelayMs, 50) * factor ** pollCount);
    return webhooksEnabled(this.config) || execution.mode === 'webhook-only' ? Math.max(delay, WEBHOOK_SAFETY_POLL_MS) : delay;
  }

  // ---------------------------------------------------------------------------------------
  // Webhooks land here after verification (see webhook.ts).

  async applyTaskUpdate(taskId: string, body: unknown): Promise<'ignored' | 'applied'> {
    const [row] = await this.db.select().from(nodeRuns).where(eq(nodeRuns.taskId, taskId)).limit(1);
    if (!row) return 'ignored';
    const ctx = await this.load(row.runId, row.nodeId);
    if (!ctx || isTerminalRun(ctx.run.status) || isTerminalNode(ctx.row.status) || ctx.def.execution.kind !== 'http') return 'ignored';
    const task = readTask(body);
    ctx.log.info({ status: task.status }, 'webhook');
    if (task.status === 'COMPLETED') await this.completeFromTask(ctx, ctx.def.execution as HttpExecution<unknown>, task);
    else if (task.status === 'FAILED') await this.failNode(ctx, taskFailure(task));
    else {
      await this.inRunTx(ctx.run.id, async (tx) => tx.event('node.progress', ctx.node.id, { status: task.status, pollCount: ctx.row.pollCount, via: 'webhook' }));
    }
    return 'applied';
  }

  // ---------------------------------------------------------------------------------------
  // 4. complete / fail / advance

  private async completeFromTask(ctx: NodeContext, execution: HttpExecution<unknown>, task: TaskSnapshot, polled = 0): Promise<void> {
    let extracted: Record<string, unknown>;
    try {
      extracted = execution.extract(task);
    } catch (error) {
      return this.failNode(ctx, { code: 'upstream_error', message: `reading the result failed: ${(error as Error).message}` }, polled);
    }
    const outputs: Record<string, unknown> = {};
    const stored: { asset: StoredAsset; row: AssetRow }[] = [];
    try {
      for (const port of ctx.def.outputs) {
        const value = extracted[port.name];
        if (value === undefined || value === null) continue;
        outputs[port.name] = await this.rehost(ctx, port.type, value, stored);
      }
    } catch (error) {
      if (!isPikflowError(error)) throw error;
      return this.failNode(ctx, { code: error.code, message: `${describeNode(ctx.node)}: storing the result failed: ${error.message}` }, polled);
    }
    if (ctx.def.outputs.length && Object.keys(outputs).length === 0) {
      return this.failNode(ctx, { code: 'upstream_error', message: `${describeNode(ctx.node)}: the task finished without any result` }, polled);
    }
    await this.completeWithOutputs(ctx, outputs, polled, stored);
  }

  /**
   * Result files are copied into the asset store at once: Freepik's URLs expire. The bytes are
   * written now; their rows are inserted by the transaction that completes the node.
   */
  private async rehost(ctx: NodeContext, type: PortType, value: unknown, stored: { asset: StoredAsset; row: AssetRow }[]): Promise<unknown> {
    const one = async (v: unknown) => {
      if (typeof v !== 'string') return v;
      const { bytes, contentType } = await this.deps.client.download(v, this.config.maxDownloadBytes, ctx.log, { nodeType: ctx.node.type, runId: ctx.run.id, nodeRunId: ctx.row.id, nodeId: ctx.node.id });
      const prepared = await this.deps.assets.prepareGenerated(bytes, { runId: ctx.run.id, nodeId: ctx.node.id, mime: contentType, filename: lastPathSegment(v) });
      stored.push(prepared);
      return assetRef(prepared.asset);
    };
    try {
      if (type === 'image' || type === 'video') return await one(value);
      if (type === 'image[]') return await Promise.all((Array.isArray(value) ? value : [value]).map(one));
      return value;
    } finally {
      await this.clearRetryNotice(ctx.row.id);
    }
  }

  /**
   * The client is about to wait before repeating a request of this node (freepik-client.ts):
   * the node run's row says so (`retrying`) with a `node.retrying` event, in one statement, so
   * the node shows "retrying in 4 s (HTTP 503, attempt 2)" on every page watching, from any
   * process. Only while the node is unfinished; the status itself does not change.
   */
  noteRetry(tag: RequestTag, notice: RetryNotice): Promise<void> {
    const { runId, nodeRunId, nodeId } = tag;
    if (!runId || !nodeRunId || !nodeId) return Promise.resolve();
    const retrying = { what: notice.what, reason: notice.reason, attempt: notice.attempt, retryAt: new Date(Date.now() + notice.waitMs).toISOString() };
    const write = async () => {
      const noted = await this.updateWithEvent(
        this.autocommit(),
        `UPDATE node_runs SET retrying = $2::jsonb WHERE id = $1 AND status NOT IN ('succeeded', 'failed', 'skipped', 'cancelled') RETURNING id`,
        [nodeRunId, JSON.stringify(retrying)],
        runId,
        { type: 'node.retrying', nodeId, data: retrying },
      );
      this.deps.events.publish(runId, noted.events);
    };
    // Notices of one node run are written in order, and its clearing waits for the last one.
    const written = (this.retryNotices.get(nodeRunId) ?? Promise.resolve()).then(write, write);
    this.retryNotices.set(nodeRunId, written.catch(() => {}));
    return written;
  }

  /** The request a retry notice was about has returned (whatever its answer): the node is no longer waiting to retry. */
  private async clearRetryNotice(nodeRunId: string): Promise<void> {
    const pending = this.retryNotices.get(nodeRunId);
    if (!pending) return;
    this.retryNotices.delete(nodeRunId);
    // Bounded: a notice stuck in a database outage must not hold the node up (a late one goes stale by itself).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([pending, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)).unref())]);
    clearTimeout(timer);
    await this.db
      .update(nodeRuns)
      .set({ retrying: null })
      .where(eq(nodeRuns.id, nodeRunId))
      .catch((error: Error) => this.log.warn({ err: error.message, nodeRunId }, 'clearing a retry notice failed (it goes stale by itself)'));
  }

  private async completeWithOutputs(
    ctx: NodeContext,
    outputs: Record<string, unknown>,
    polled = 0,
    stored: { asset: StoredAsset; row: AssetRow }[] = [],
    /** Served from the result cache: {status: 'cached', cachedFrom}, added to node.completed. */
    cached?: Record<string, unknown>,
  ): Promise<void> {
    const { node, row } = ctx;
    const completed = await this.inRunTx(ctx.run.id, async (tx) => {
      // Under the run lock the node's status is exact: every terminal change of a node run
      // (complete, fail, skip, cancel) is made under this lock.
      const state = await this.lockRun(tx);
      const current = state?.byNode.get(node.id);
      if (!state || !current || isTerminalNode(current.status)) return false;
      for (const s of stored) tx.writeAsset(s.row);
      tx.writeNode({ id: current.id, status: 'succeeded', outputs, polled });
      Object.assign(current, { status: 'succeeded', outputs, finishedAt: new Date() });
      // The result enters the cache entry this node claimed, if any, atomically with the completion.
      if (!cached) await this.cache.storeIn(tx.raw, ctx.def, current.id, outputs);
      // Local nodes (inputs) start and finish in this one transaction.
      if (row.status === 'queued') tx.event('node.started', node.id);
      tx.event('node.completed', node.id, { outputs, ...cached });
      await this.advance(tx, state);
      return true;
    });
    this.dropHandoffs(ctx.run.id, node.id);
    this.cache.released(row.id);
    if (!completed) return;
    for (const s of stored) this.deps.assets.remember(s.asset);
    ctx.log.info('node completed');
  }

  async failNode(ctx: NodeContext, error: ErrorJson, polled = 0): Promise<void> {
    const { node, row } = ctx;
    const full: ErrorJson = { ...error, nodeId: node.id };
    const failed = await this.inRunTx(ctx.run.id, async (tx) => {
      const state = await this.lockRun(tx);
      const current = state?.byNode.get(node.id);
      if (!state || !current || isTerminalNode(current.status)) return false;
      tx.writeNode({ id: current.id, status: 'failed', error: full, polled });
      Object.assign(current, { status: 'failed', error: full, finishedAt: new Date() });
      tx.event('node.failed', node.id, { error: full });
      await this.advance(tx, state);
      return true;
    });
    this.dropHandoffs(ctx.run.id, node.id);
    this.cache.released(row.id);
    // Once per node: a duplicated job that finds the node already failed says nothing.
    if (failed) ctx.log.warn({ error: full }, 'node failed');
  }

  private advanceOnly(runId: string): Promise<void> {
    return this.inRunTx(runId, (tx) => this.advance(tx));
  }

  /**
   * Inside a run transaction: skip what can no longer run, complete Output nodes whose value
   * arrived, queue nodes whose inputs are ready, and finish the run when nothing is left.
   */
  private async advance(tx: Tx, lockedState?: RunState): Promise<void> {
    // The run row lock serialises advances of one run across workers: two nodes finishing at
    // once cannot both miss the join they feed. Callers that already hold it pass what they read.
    const state = lockedState ?? (await this.lockRun(tx));
    if (!state || isTerminalRun(state.status)) return;
    const { status, rows, byNode } = state;
    const { document: doc } = await this.snapshot(tx.runId, () => tx.db);
    if (status === 'queued') {
      tx.writeRun({ status: 'running', started: true });
      tx.event('run.started');
    }
    for (let changed = true; changed; ) {
      changed = false;
      for (const node of doc.nodes) {
        const row = byNode.get(node.id);
        if (!row || row.status !== 'pending') continue;
        const upstream = doc.edges.filter((e) => e.target === node.id).map((e) => byNode.get(e.source)?.status);
        if (upstream.some((s) => s === 'failed' || s === 'skipped' || s === 'cancelled')) {
          tx.writeNode({ id: row.id, status: 'skipped' });
          Object.assign(row, { status: 'skipped', finishedAt: new Date() });
          tx.event('node.skipped', node.id, { reason: 'an upstream node failed' });
          changed = true;
          continue;
        }
        if (!upstream.every((s) => s === 'succeeded')) continue;
        if (getNode(node.type)?.execution.kind === 'output') {
          // Output nodes only collect a value: done here, no job.
          const outputs = { value: collectInputs(doc, node.id, byNode).value };
          tx.writeNode({ id: row.id, status: 'succeeded', inputs: outputs, outputs });
          Object.assign(row, { status: 'succeeded', inputs: outputs, outputs, startedAt: new Date(), finishedAt: new Date() });
          tx.event('node.completed', node.id, { outputs });
          changed = true;
          continue;
        }
        if (node.bypass) {
          // Bypassed (bypass.ts): no job and nothing sent; it is done with its inputs passed on.
          const inputs = collectInputs(doc, node.id, byNode, getNode(node.type));
          const outputs = bypassedOutputs(doc, node, byNode);
          tx.writeNode({ id: row.id, status: 'succeeded', inputs, outputs });
          Object.assign(row, { status: 'succeeded', inputs, outputs, startedAt: new Date(), finishedAt: new Date() });
          tx.event('node.completed', node.id, { outputs, status: 'bypassed' });
          changed = true;
          continue;
        }
        tx.writeNode({ id: row.id, status: 'queued' });
        row.status = 'queued';
        tx.event('node.queued', node.id);
        tx.job(QUEUES.execute, node.id);
      }
    }
    tx.handoff(rows);
    if (rows.every((r) => isTerminalNode(r.status))) await this.finishRun(tx, doc, rows);
  }

  private async finishRun(tx: Tx, doc: PipelineDocument, rows: NodeRunRow[]): Promise<void> {
    const failed = rows
      .filter((r) => r.status === 'failed')
      .sort((a, b) => (a.finishedAt?.getTime() ?? 0) - (b.finishedAt?.getTime() ?? 0))[0];
    const outputs: Record<string, unknown> = {};
    for (const node of doc.nodes) {
      const row = rows.find((r) => r.nodeId === node.id);
      if (getNode(node.type)?.execution.kind !== 'output' || row?.status !== 'succeeded') continue;
      const name = String((node.params as Record<string, unknown>).name ?? 'result');
      outputs[name] = (row.outputs as Record<string, unknown> | null)?.value;
    }
    const status: RunStatus = failed ? 'failed' : 'succeeded';
    const error = failed ? (failed.error as ErrorJson) : null;
    tx.writeRun({ status, outputs, error });
    tx.event('run.finished', undefined, { status, outputs, ...(error ? { error } : {}) });
  }

  /** Cancels a run: unfinished nodes become 'cancelled'; in-flight tasks stop being waited on. */
  async cancel(runId: string): Promise<void> {
    this.dropHandoffs(runId);
    await this.inRunTx(runId, async (tx) => {
      const locked = await tx.raw.query('SELECT status FROM runs WHERE id = $1 FOR UPDATE', [runId]);
      const status = (locked.rows[0] as { status?: string } | undefined)?.status;
      if (!status || isTerminalRun(status)) return;
      const cancelled = await tx.db
        .update(nodeRuns)
        .set({ status: 'cancelled', finishedAt: sql`now()`, nextPollAt: null })
        .where(and(eq(nodeRuns.runId, runId), inArray(nodeRuns.status, ['pending', 'queued', 'running', 'submitted'])))
        .returning({ nodeId: nodeRuns.nodeId });
      for (const c of cancelled) tx.event('node.skipped', c.nodeId, { reason: 'the run was cancelled', status: 'cancelled' });
      const error = { code: 'cancelled', message: 'the run was cancelled' };
      await tx.db.update(runs).set({ status: 'cancelled', error, finishedAt: sql`now()` }).where(eq(runs.id, runId));
      tx.event('run.finished', undefined, { status: 'cancelled', error });
    });
  }

  // ---------------------------------------------------------------------------------------
  // Recovery after a crash or restart.

  /** How long a submission may be in flight in some process (its timeout plus a margin). */
  private submitWindowMs(): number {
    return (this.config.submitTimeoutMs ?? 60_000) + 5_000;
  }

  /**
   * Whether the process that journaled a submission is alive: this process (its POST is in
   * flight here or not at all), or another whose heartbeat is fresh. undefined: not known (no owner
   * recorded), so the caller falls back to the submit window.
   */
  private async ownerAlive(owner: string | null | undefined): Promise<boolean | undefined> {
    if (!owner) return undefined;
    if (owner === this.deps.processId) return true;
    const { rows } = await this.autocommit().query(`SELECT 1 FROM engine_processes p WHERE p.id = $1 AND ${processAliveSql('p')}`, [owner]);
    return rows.length > 0;
  }

  /** Start-up: on PGlite every 'submitting' row is orphaned (one process, lockfile); then a sweep. */
  async recover(): Promise<number> {
    if (this.deps.handle.kind === 'pglite') {
      // PGlite belongs to this process alone (lockfile): a submission left 'submitting' belonged to a
      // process that is gone, so its answer is lost for good. Reconcile it now instead of waiting.
      await this.db.update(nodeRuns).set({ submitState: 'ambiguous' }).where(eq(nodeRuns.submitState, 'submitting'));
      // For the same reason every other process recorded here is dead, and so are the active jobs it left.
      await this.db.delete(engineProcesses).where(ne(engineProcesses.id, this.deps.processId));
      return this.sweep({ allActiveOrphaned: true });
    }
    return this.sweep();
  }

  /**
   * The death watch (every DEATH_WATCH_MS in each job-taking process on PostgreSQL): processes that
   * died (liveness.ts) are removed, and one sweep — by whichever process removed them — takes over
   * their work at once: their active jobs are the ones no living process lists (liveJobsSql), and
   * their unresolved submissions have a dead owner. A duplicate job is harmless (the journal's
   * compare-and-set lets exactly one submit, and the quota claim is per node run).
   */
  async reapDeadProcesses(): Promise<number> {
    const { rows } = await this.autocommit().query(`DELETE FROM engine_processes p WHERE p.id <> $1 AND NOT ${processAliveSql('p')} RETURNING p.id`, [this.deps.processId]);
    if (!rows.length) {
      // A job the dead process took just before it died was too young to tell from a live one: look once more.
      if (this.followUpSweepAt && Date.now() >= this.followUpSweepAt) {
        this.followUpSweepAt = undefined;
        return this.sweep();
      }
      return 0;
    }
    this.log.warn({ processes: (rows as { id: string }[]).map((r) => r.id) }, 'engine process died: taking over its work');
    this.followUpSweepAt = Date.now() + DEAD_FOLLOW_UP_MS;
    return this.sweep();
  }

  /**
   * The recovery sweep, at start, after a death and every SWEEP_MS in every process that takes jobs
   * (any may run it; it is idempotent): a node of an open run whose work nobody has in hand — no
   * waiting job, no active job a living process holds (liveJobsSql), or a submission whose owner
   * died — gets the job it needs (execute before the task id is journaled, check after), with a
   * singleton key so several sweeps send it once. Runs with nothing in flight are advanced (a ready
   * node queued, or the run finished). `allActiveOrphaned`: every active job but this process's own
   * is lost (a PGlite start). Returns how many runs needed something.
   */
  async sweep(o: { allActiveOrphaned?: boolean } = {}): Promise<number> {
    const dead = `(n.owner IS NOT NULL AND n.owner <> '${this.deps.processId.replace(/'/g, "''")}' AND NOT EXISTS (SELECT 1 FROM engine_processes p WHERE p.id = n.owner AND ${processAliveSql('p')}))`;
    const live = liveJobsSql({ ownHeld: this.deps.jobs.heldJobIds(), alive: processAliveSql, allActiveOrphaned: o.allActiveOrphaned });
    const { rows } = await this.autocommit().query(
      `WITH live AS (${live})
       SELECT n.run_id, n.node_id, n.submit_state, n.status,
         coalesce(bool_or(l.name = '${QUEUES.execute}'), false) AS has_execute, coalesce(bool_or(l.name = '${QUEUES.check}'), false) AS has_check, ${dead} AS owner_dead
       FROM node_runs n JOIN runs r ON r.id = n.run_id
         LEFT JOIN live l ON l.run_id = n.run_id::text AND l.node_id = n.node_id
       WHERE r.status IN ('queued', 'running') AND n.status IN ('queued', 'running', 'submitted')
       GROUP BY n.id, n.run_id, n.node_id, n.submit_state, n.status, n.owner`,
    );
    const lost = new Map<string, { queue: QueueName; nodeId: string }[]>();
    for (const raw of rows as { run_id: string; node_id: string; submit_state: string; status: string; has_execute: boolean; has_check: boolean; owner_dead: boolean }[]) {
      let queue: QueueName | undefined;
      if (raw.submit_state === 'submitted') {
        if (!raw.has_check) queue = QUEUES.check;
      } else if (!raw.has_execute || ((raw.submit_state === 'submitting' || raw.submit_state === 'ambiguous') && raw.owner_dead)) {
        queue = QUEUES.execute;
      }
      if (!queue) continue;
      const list = lost.get(raw.run_id) ?? [];
      list.push({ queue, nodeId: raw.node_id });
      lost.set(raw.run_id, list);
    }
    for (const [runId, jobs] of lost) {
      await this.inRunTx(runId, async (tx) => {
        for (const job of jobs) tx.job(job.queue, job.nodeId, 0, { key: `${runId}:${job.nodeId}`, seconds: SWEEP_SINGLETON_SECONDS });
      });
    }
    // Runs with nothing in flight: a join whose advance was lost, or a run that should have finished.
    const { rows: idle } = await this.autocommit().query(
      `SELECT r.id FROM runs r WHERE r.status IN ('queued', 'running')
         AND NOT EXISTS (SELECT 1 FROM node_runs n WHERE n.run_id = r.id AND n.status IN ('queued', 'running', 'submitted'))`,
    );
    for (const { id } of idle as { id: string }[]) await this.advanceOnly(id);
    const count = new Set([...lost.keys(), ...(idle as { id: string }[]).map((r) => r.id)]).size;
    if (count) this.log.info({ runs: count, jobs: [...lost.values()].reduce((a, l) => a + l.length, 0) }, 'recovery sweep re-sent lost work');
    return count;
  }

  // ---------------------------------------------------------------------------------------
  // Inputs, params and the image hand-off.

  /** Values per input port from upstream outputs, as stored (AssetRef, text, numbers). */
  private gatherInputs(ctx: NodeContext): { portValues: Record<string, unknown>; recorded: Record<string, unknown> } {
    const portValues = collectInputs(ctx.doc, ctx.node.id, ctx.byNode, ctx.def);
    return { portValues, recorded: portValues };
  }

  /** See nodeParams. */
  private parseParams(node: PipelineNode, def: NodeDefinition, portValues: Record<string, unknown>): unknown {
    return nodeParams(node, def, portValues);
  }

  /**
   * The documented limits of the node's image ports (catalog imageLimits), on the images that
   * arrived: made upstream, downloaded from a URL, or uploaded. A broken limit fails the node
   * before anything is journaled or sent; sending it again would not help, so it is not retried.
   */
  private async checkImageLimits(ctx: NodeContext, portValues: Record<string, unknown>, params: unknown): Promise<void> {
    for (const port of ctx.def.inputs) {
      if (!port.imageLimits || portValues[port.name] === undefined) continue;
      const values = [portValues[port.name]].flat();
      for (const [i, value] of values.entries()) {
        if (!isAssetRef(value)) continue;
        // Refs made before sizes were recorded lack them: the store has them.
        const known = value.width !== undefined && value.size !== undefined ? value : ((await this.deps.assets.get(value.assetId)) ?? value);
        const target = { node: ctx.node, def: ctx.def, port: port as LimitedPort['port'] };
        const message = imageLimitMessage(target, { width: known.width, height: known.height, bytes: known.size, mime: known.mime }, params as Record<string, unknown>, port.type === 'image[]' ? i : undefined);
        if (message) throw new PikflowError('invalid_input', `${message}; nothing was sent to Freepik`, { nodeId: ctx.node.id, field: port.name });
      }
    }
  }

  /** Image values in the form each port accepts: a public URL, base64, or file bytes. */
  private async transportInputs(ctx: NodeContext, portValues: Record<string, unknown>): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const port of ctx.def.inputs) {
      const value = portValues[port.name];
      if (value === undefined) continue;
      if (port.type !== 'image' && port.type !== 'image[]' && port.type !== 'video') {
        out[port.name] = value;
        continue;
      }
      const accepts = port.accepts ?? 'both';
      const one = async (v: unknown): Promise<unknown> => {
        if (!isAssetRef(v)) return v;
        if (accepts === 'file') {
          const { asset, bytes } = await this.deps.assets.read(v.assetId);
          const file: BinaryFile = { kind: 'file', filename: `${asset.assetId}.${extensionOf(asset.mime)}`, contentType: asset.mime, data: bytes };
          return file;
        }
        if ((accepts === 'url' || accepts === 'both') && this.config.publicUrl) return `${this.config.publicUrl}/api/assets/${v.assetId}`;
        if (accepts === 'url') {
          throw new PikflowError('validation_failed', `${describeNode(ctx.node)}: this endpoint takes image URLs only; set PUBLIC_URL so Freepik can fetch local images`, {
            nodeId: ctx.node.id,
            field: port.name,
          });
        }
        const { bytes } = await this.deps.assets.read(v.assetId);
        if (bytes.byteLength > this.config.maxDownloadBytes) {
          throw new PikflowError('payload_too_large', `${describeNode(ctx.node)}: ${port.name} is ${bytes.byteLength} bytes; the limit is ${this.config.maxDownloadBytes}`, {
            nodeId: ctx.node.id,
            field: port.name,
          });
        }
        return bytes.toString('base64');
      };
      out[port.name] = Array.isArray(value) ? await Promise.all(value.map(one)) : await one(value);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // The result cache (node-cache.ts): consulted before a node submits.

  /** True when the node was served from the cache, or waits (durably) for an identical node in flight. */
  private async servedFromCache(ctx: NodeContext): Promise<boolean> {
    const { portValues } = this.gatherInputs(ctx);
    const decision = await this.cache.before(ctx, this.parseParams(ctx.node, ctx.def, portValues), portValues);
    if (decision.kind === 'miss') return false;
    if (decision.kind === 'hit') await this.completeWithOutputs(ctx, decision.outputs, 0, [], decision.event);
    if (decision.kind === 'wait') await this.inRunTx(ctx.run.id, async (tx) => tx.job(QUEUES.execute, ctx.node.id, decision.delayMs));
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Plumbing: loading, transactions.

  private async load(runId: string, nodeId: string): Promise<NodeContext | null> {
    // One query for the node runs and the run's status; the snapshot comes from the cache.
    const { rows: raw } = await this.query(
      this.autocommit(),
      'pikflow_load_run',
      `SELECT r.status AS run_status, ${NODE_RUN_COLUMNS} FROM node_runs n JOIN runs r ON r.id = n.run_id WHERE n.run_id = $1::uuid`,
      [runId],
    );
    if (!raw.length) return null;
    const rows = raw.map(toNodeRunRow);
    const snapshot = await this.snapshot(runId, () => this.db);
    const run: RunInfo = { id: runId, status: (raw[0] as { run_status: RunStatus }).run_status, inputs: snapshot.inputs };
    const row = rows.find((r) => r.nodeId === nodeId);
    const doc = snapshot.document;
    const node = doc.nodes.find((n) => n.id === nodeId);
    const def = node ? getNode(node.type) : undefined;
    if (!row || !node || !def) return null;
    const log = this.log.child({ runId, nodeId, ...(row.taskId ? { taskId: row.taskId } : {}) });
    return { run, doc, node, def, row, log, byNode: new Map(rows.map((r) => [r.nodeId, r])) };
  }

  /** Keeps the committed node runs for this process's handlers of the jobs just created. */
  private handOff(runId: string, rows: NodeRunRow[], jobs: { queue: QueueName; nodeId: string; delayMs: number }[]): void {
    const now = Date.now();
    for (const job of jobs) {
      if (job.delayMs > HANDOFF_MAX_DELAY_MS) continue;
      // Copies: each handler updates its own node's row as it goes.
      this.handoffs.set(`${runId}\n${job.nodeId}\n${job.queue}`, { rows: rows.map((r) => ({ ...r })), until: now + job.delayMs + HANDOFF_TTL_MS });
    }
    // Hand-offs whose jobs another process took are never taken here: expired ones are dropped
    // from the front (insertion order is roughly expiry order), and the map stays bounded.
    for (const [key, entry] of this.handoffs) {
      if (entry.until >= now && this.handoffs.size <= 2_000) break;
      this.handoffs.delete(key);
    }
  }

  private takeHandoff(runId: string, nodeId: string, queue: QueueName): NodeContext | null {
    const key = `${runId}\n${nodeId}\n${queue}`;
    const handoff = this.handoffs.get(key);
    if (!handoff) return null;
    this.handoffs.delete(key);
    const snapshot = this.snapshots.get(runId);
    if (handoff.until < Date.now() || !snapshot) return null;
    const row = handoff.rows.find((r) => r.nodeId === nodeId);
    const node = snapshot.document.nodes.find((n) => n.id === nodeId);
    const def = node ? getNode(node.type) : undefined;
    if (!row || !node || !def) return null;
    const log = this.log.child({ runId, nodeId, ...(row.taskId ? { taskId: row.taskId } : {}) });
    const run: RunInfo = { id: runId, status: 'running', inputs: snapshot.inputs };
    return { run, doc: snapshot.document, node, def, row, log, byNode: new Map(handoff.rows.map((r) => [r.nodeId, r])), handedOff: true };
  }

  /** A node finished or its run was cancelled here: its pending hand-offs are stale. */
  private dropHandoffs(runId: string, nodeId?: string): void {
    if (!this.handoffs.size) return;
    for (const queue of Object.values(QUEUES)) {
      if (nodeId) this.handoffs.delete(`${runId}\n${nodeId}\n${queue}`);
    }
    if (nodeId) return;
    const prefix = `${runId}\n`;
    for (const key of this.handoffs.keys()) if (key.startsWith(prefix)) this.handoffs.delete(key);
  }

  /**
   * Locks the run row, then reads the run's node runs. On PostgreSQL these are two statements:
   * under READ COMMITTED a statement that waits for a row lock still reads every other table from
   * the snapshot it took before the wait, so a join read with the lock would miss the branch whose
   * transaction held it (both branches would see the other unfinished and neither queue the join).
   * The second statement takes a fresh snapshot after the lock is granted. PGlite has one
   * connection (transactions never wait for one another), so one statement is exact there.
   */
  private async lockRun(tx: Tx): Promise<RunState | null> {
    // Usually a transaction's first statement: on PostgreSQL it travels with BEGIN (see transaction()).
    let raw: unknown[];
    if (this.deps.handle.kind === 'postgres') {
      const locked = await tx.raw.query('SELECT status FROM runs WHERE id = $1::uuid FOR UPDATE', [tx.runId]);
      const status = (locked.rows[0] as { status?: RunStatus } | undefined)?.status;
      if (!status) return null;
      const read = await tx.raw.query(`SELECT r.status AS run_status, ${NODE_RUN_COLUMNS} FROM runs r LEFT JOIN node_runs n ON n.run_id = r.id WHERE r.id = $1::uuid ORDER BY n.created_at`, [tx.runId]);
      raw = read.rows;
    } else {
      ({ rows: raw } = await tx.raw.query(
        `SELECT r.status AS run_status, ${NODE_RUN_COLUMNS} FROM runs r LEFT JOIN node_runs n ON n.run_id = r.id WHERE r.id = $1::uuid ORDER BY n.created_at FOR UPDATE OF r`,
        [tx.runId],
      ));
    }
    if (!raw.length) return null;
    const rows = (raw as { id: string | null }[]).filter((r) => r.id !== null).map(toNodeRunRow);
    return { status: (raw[0] as { run_status: RunStatus }).run_status, rows, byNode: new Map(rows.map((r) => [r.nodeId, r])) };
  }

  /** A hot statement: named (prepared once per connection) on PostgreSQL. */
  private query(client: RawClient, name: string, text: string, values: unknown[]): Promise<{ rows: unknown[] }> {
    if (this.deps.handle.kind === 'postgres') return (client as unknown as { query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }> }).query({ name, text, values });
    return client.query(text, values);
  }

  /** A client for one self-committing statement (the pool, or PGlite itself). */
  private autocommit(): RawClient {
    const { handle } = this.deps;
    return (handle.kind === 'postgres' ? handle.pool : handle.pglite) as unknown as RawClient;
  }

  /**
   * One statement: a node_runs UPDATE … RETURNING (given as text, parameters $1…$n) and, when it
   * changed a row (matching `when`, a condition on the returned columns), the event row — with
   * the cross-process NOTIFY on PostgreSQL. Saves the transaction a separate event insert.
   */
  private async updateWithEvent(
    client: RawClient,
    update: string,
    values: unknown[],
    runId: string,
    event: { type: RunEventType; nodeId?: string; data?: Record<string, unknown> },
    when?: string,
  ): Promise<{ updated: boolean; events: RunEvent[] }> {
    const { text, values: params } = this.updateWithEventStatement(update, values, runId, event, when);
    const { rows } = await client.query(text, params);
    return this.readUpdateWithEvent(rows);
  }

  /** `payload`: an SQL expression for the event's payload (over `upd`'s columns) instead of `event.data`. */
  private updateWithEventStatement(
    update: string,
    values: unknown[],
    runId: string,
    event: { type: RunEventType; nodeId?: string; data?: Record<string, unknown> },
    when?: string,
    payload?: string,
  ): { text: string; values: unknown[] } {
    const n = values.length;
    // Every parameter must appear in the text: PGlite (extended protocol) cannot type an unused one.
    const params = [...values, runId, event.type, event.nodeId ?? null, ...(payload ? [] : [event.data === undefined ? null : JSON.stringify(event.data)])];
    const insert = `INSERT INTO run_events (run_id, type, node_id, payload) SELECT $${n + 1}::uuid, $${n + 2}, $${n + 3}, ${payload ?? `$${n + 4}::jsonb`} FROM upd${when ? ` WHERE ${when}` : ''} RETURNING id, run_id, type, node_id, payload, created_at`;
    const postgres = this.deps.handle.kind === 'postgres';
    const notify = postgres
      ? `, notified AS (SELECT pg_notify('${EVENTS_CHANNEL}', $${n + 1}::text || ':' || m) FROM (SELECT max(id) AS m FROM ins) x WHERE m IS NOT NULL)`
      : '';
    const text = `WITH upd AS (${update}), ins AS (${insert})${notify} SELECT (SELECT count(*) FROM upd) AS updated, ins.* FROM (SELECT 1) one LEFT JOIN ${postgres ? '(ins CROSS JOIN notified)' : 'ins'} ON true`;
    return { text, values: params };
  }

  private readUpdateWithEvent(rows: unknown[]): { updated: boolean; events: RunEvent[] } {
    const typed = rows as (EventRow & { updated: number | string })[];
    const updated = Number(typed[0]?.updated ?? 0) > 0;
    return { updated, events: toRunEvents(typed.filter((r) => r.id !== null && r.id !== undefined)) };
  }

  private remember(runId: string, document: PipelineDocument, inputs: Record<string, unknown>) {
    this.snapshots.set(runId, { document, inputs });
    // Bounded: the oldest entries go first (Map keeps insertion order).
    if (this.snapshots.size > 5_000) this.snapshots.delete(this.snapshots.keys().next().value!);
  }

  private async snapshot(runId: string, db: () => Db): Promise<{ document: PipelineDocument; inputs: Record<string, unknown> }> {
    const cached = this.snapshots.get(runId);
    if (cached) return cached;
    const [row] = await db().select({ document: runs.document, inputs: runs.inputs }).from(runs).where(eq(runs.id, runId));
    if (!row) throw new Error(`run ${runId} vanished`);
    this.remember(runId, row.document as PipelineDocument, row.inputs as Record<string, unknown>);
    return this.snapshots.get(runId)!;
  }

  /**
   * One transaction on a run: collects events and jobs, inserts them before commit (the
   * events with a NOTIFY on PostgreSQL, delivered at commit), then publishes the events
   * locally and wakes local workers. Transactions that advance the run lock its row there.
   */
  async inRunTx<T>(runId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const events: { type: RunEventType; nodeId?: string; data?: Record<string, unknown> }[] = [];
    const jobs: { queue: QueueName; nodeId: string; delayMs: number; singleton?: SingletonJob }[] = [];
    let published: RunEvent[] = [];
    const nodeChanges = new Map<string, NodeChange>();
    const assetRows: AssetRow[] = [];
    let handoffRows: NodeRunRow[] | undefined;
    let runChange: RunChange | undefined;
    const { value: result, lastRows } = await this.transaction(async (raw, db) => {
      const tx: Tx = {
        get db() {
          return db();
        },
        raw,
        runId,
        event: (type, nodeId, data) => events.push({ type, nodeId, data }),
        job: (queue, nodeId, delayMs = 0, singleton) => jobs.push({ queue, nodeId, delayMs, singleton }),
        writeNode: (change) => nodeChanges.set(change.id, { ...nodeChanges.get(change.id), ...change }),
        writeRun: (change) => {
          runChange = { ...runChange, ...change };
        },
        writeAsset: (row) => assetRows.push(row),
        handoff: (rows) => {
          handoffRows = rows;
        },
      };
      const value = await fn(tx);
      for (const job of jobs) await this.deps.jobs.send(raw, job.queue, { runId, nodeId: job.nodeId }, job.delayMs, job.singleton);
      const last = events.length || nodeChanges.size || runChange || assetRows.length ? this.flush(runId, [...nodeChanges.values()], runChange, events, assetRows) : undefined;
      return { value, last };
    });
    if (events.length) published = toRunEvents(lastRows as EventRow[]);
    this.deps.events.publish(runId, published);
    if (handoffRows && jobs.length) this.handOff(runId, handoffRows, jobs);
    for (const job of jobs) this.deps.jobs.wake(job.queue, job.delayMs);
    return result;
  }

  /**
   * One statement for everything a run transaction writes besides jobs: the node runs' status
   * changes (one UPDATE over a JSON list), the run's, the event rows, and on PostgreSQL the
   * NOTIFY other processes listen for. Returns the events as inserted.
   */
  private flush(
    runId: string,
    nodeChanges: NodeChange[],
    runChange: RunChange | undefined,
    events: { type: RunEventType; nodeId?: string; data?: Record<string, unknown> }[],
    assetRows: AssetRow[] = [],
  ): { text: string; values: unknown[] } {
    const values: unknown[] = [runId];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    const ctes: string[] = [];
    if (assetRows.length) {
      ctes.push(`stored AS (INSERT INTO assets (id, sha256, mime, size, width, height, filename, storage_key, source, run_id, node_id)
        SELECT a.id, a.sha256, a.mime, a.size, a.width, a.height, a.filename, a.storage_key, a.source, a.run_id, a.node_id
        FROM jsonb_to_recordset(${param(JSON.stringify(assetRows))}::jsonb)
          AS a(id uuid, sha256 text, mime text, size integer, width integer, height integer, filename text, storage_key text, source text, run_id uuid, node_id text))`);
    }
    if (nodeChanges.length) {
      const list = nodeChanges.map((c) => ({
        id: c.id,
        status: c.status,
        terminal: isTerminalNode(c.status),
        outputs: c.outputs ?? null,
        inputs: c.inputs ?? null,
        error: c.error ?? null,
        polled: c.polled ?? 0,
      }));
      // The status guard is a safety net: callers decided under the run lock.
      ctes.push(`nodes AS (UPDATE node_runs n SET
          status = v.status,
          outputs = coalesce(v.outputs, n.outputs),
          inputs = coalesce(v.inputs, n.inputs),
          error = coalesce(v.error, n.error),
          poll_count = n.poll_count + v.polled,
          started_at = CASE WHEN v.status = 'succeeded' THEN coalesce(n.started_at, now()) ELSE n.started_at END,
          submit_state = CASE WHEN v.status = 'succeeded' AND n.submit_state = 'submitting' THEN 'submitted' ELSE n.submit_state END,
          submitted_at = CASE WHEN v.status = 'succeeded' AND n.submit_state = 'submitting' THEN now() ELSE n.submitted_at END,
          finished_at = CASE WHEN v.terminal THEN now() ELSE n.finished_at END,
          next_poll_at = CASE WHEN v.terminal THEN NULL ELSE n.next_poll_at END
        FROM jsonb_to_recordset(${param(JSON.stringify(list))}::jsonb)
          AS v(id uuid, status text, terminal boolean, outputs jsonb, inputs jsonb, error jsonb, polled integer)
        WHERE n.id = v.id AND n.run_id = $1::uuid AND n.status NOT IN ('succeeded', 'failed', 'skipped', 'cancelled')
        RETURNING n.id)`);
    }
    if (runChange) {
      const sets = [`status = ${param(runChange.status)}`];
      if (runChange.started) sets.push('started_at = now()');
      if (isTerminalRun(runChange.status)) {
        sets.push(`outputs = ${param(JSON.stringify(runChange.outputs ?? {}))}::jsonb`, `error = ${param(runChange.error ? JSON.stringify(runChange.error) : null)}::jsonb`, 'finished_at = now()');
      }
      ctes.push(`run AS (UPDATE runs SET ${sets.join(', ')} WHERE id = $1::uuid RETURNING id)`);
    }
    if (!events.length) return { text: `WITH ${ctes.join(', ')} SELECT 1 AS none`, values };
    return { text: `WITH ${[...ctes, this.eventsCte(events, param)].join(', ')}`, values };
  }

  private transaction<T>(body: Parameters<typeof batchedTransaction<T>>[2]): Promise<{ value: T; lastRows: unknown[] }> {
    return batchedTransaction(this.deps.handle, this.db, body);
  }

  /**
   * The tail of a WITH statement ($1 = the run id) inserting events and selecting them, with the
   * NOTIFY other processes listen for on PostgreSQL: `ins AS (…)[, notified AS (…)] SELECT …`.
   */
  private eventsCte(events: PendingEvent[], param: (value: unknown) => string): string {
    const tuples = events.map((e) => `($1::uuid, ${param(e.type)}, ${param(e.nodeId ?? null)}, ${param(e.data === undefined ? null : JSON.stringify(e.data))}::jsonb)`);
    const ins = `ins AS (INSERT INTO run_events (run_id, type, node_id, payload) VALUES ${tuples.join(', ')} RETURNING id, run_id, type, node_id, payload, created_at)`;
    if (this.deps.handle.kind !== 'postgres') return `${ins} SELECT ins.* FROM ins ORDER BY ins.id`;
    return `${ins}, notified AS (SELECT pg_notify('${EVENTS_CHANNEL}', $1::text || ':' || (SELECT max(id) FROM ins))) SELECT ins.* FROM ins, notified ORDER BY ins.id`;
  }
}

const NODE_RUN_COLUMNS =
  'n.id, n.run_id, n.node_id, n.node_type, n.status, n.attempt, n.idempotency_key, n.submit_state, n.task_id, n.owner, n.sync_result, n.possible_duplicate_charge, n.request_summary, n.inputs, n.outputs, n.error, n.poll_count, n.next_poll_at, n.created_at, n.started_at, n.submitted_at, n.finished_at';

/** A node_runs row as selected with NODE_RUN_COLUMNS, in the schema's own shape. */
function toNodeRunRow(raw: unknown): NodeRunRow {
  const r = raw as Record<string, unknown>;
  const date = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(v as string));
  return {
    id: r.id as string,
    runId: r.run_id as string,
    nodeId: r.node_id as string,
    nodeType: r.node_type as string,
    status: r.status as NodeRunStatus,
    attempt: Number(r.attempt),
    idempotencyKey: r.idempotency_key as string,
    submitState: r.submit_state as NodeRunRow['submitState'],
    taskId: (r.task_id as string | null) ?? null,
    owner: (r.owner as string | null) ?? null,
    syncResult: r.sync_result ?? null,
    possibleDuplicateCharge: r.possible_duplicate_charge === true || r.possible_duplicate_charge === 't',
    // Not selected: the executor never decides anything from a retry notice (only views show it).
    retrying: null,
    requestSummary: r.request_summary ?? null,
    inputs: r.inputs ?? null,
    outputs: r.outputs ?? null,
    error: r.error ?? null,
    pollCount: Number(r.poll_count),
    nextPollAt: date(r.next_poll_at),
    createdAt: date(r.created_at)!,
    startedAt: date(r.started_at),
    submittedAt: date(r.submitted_at),
    finishedAt: date(r.finished_at),
  };
}

function toRunEvents(rows: EventRow[]): RunEvent[] {
  return rows
    .map((r) => ({
      id: Number(r.id),
      runId: r.run_id,
      type: r.type as RunEventType,
      ...(r.node_id ? { nodeId: r.node_id } : {}),
      at: new Date(r.created_at).toISOString(),
      ...(r.payload ? { data: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as Record<string, unknown> } : {}),
    }))
    .sort((a, b) => a.id - b.id);
}


// -----------------------------------------------------------------------------------------
// Helpers

export function assetRef(asset: StoredAsset): AssetRef {
  return {
    assetId: asset.assetId,
    url: `/api/assets/${asset.assetId}`,
    mime: asset.mime,
    ...(asset.width !== undefined ? { width: asset.width } : {}),
    ...(asset.height !== undefined ? { height: asset.height } : {}),
    ...(asset.size !== undefined ? { size: asset.size } : {}),
  };
}

function isAssetRef(v: unknown): v is AssetRef {
  return typeof v === 'object' && v !== null && typeof (v as AssetRef).assetId === 'string';
}

/** The value an input node takes: the run input named by its `name` param, else its own default. */
export function inputNodeValue(inputs: Record<string, unknown>, node: PipelineNode, def: NodeDefinition): { name: string; value: unknown } {
  const params = def.params.safeParse(node.params);
  const name = params.success ? String((params.data as { name: string }).name) : node.id;
  const value = inputs[name] ?? (params.success ? (params.data as Record<string, unknown>)[def.outputs[0]!.name] : undefined);
  return { name, value };
}

/** Node params with linked text/number inputs of the same name merged over them (as the request will send them). */
export function nodeParams(node: PipelineNode, def: NodeDefinition, portValues: Record<string, unknown>): unknown {
  const merged: Record<string, unknown> = { ...(node.params as Record<string, unknown>) };
  for (const port of def.inputs) {
    const value = portValues[port.name];
    if ((port.type === 'text' || port.type === 'number') && value !== undefined && port.name in def.params.shape) merged[port.name] = value;
  }
  const parsed = def.params.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    throw new PikflowError('validation_failed', `${describeNode(node)}: ${field || 'params'}: ${issue.message}`, { nodeId: node.id, field });
  }
  return parsed.data;
}

/** Values arriving on each input port: one link → its value; several into a list port → the list. */
export function collectInputs(doc: PipelineDocument, nodeId: string, byNode: Map<string, NodeRunRow>, def?: NodeDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const portType = (name: string) => def?.inputs.find((p) => p.name === name)?.type;
  for (const edge of doc.edges) {
    if (edge.target !== nodeId) continue;
    const value = (byNode.get(edge.source)?.outputs as Record<string, unknown> | null)?.[edge.sourceHandle];
    if (value === undefined) continue;
    if (portType(edge.targetHandle) === 'image[]') {
      const list = (out[edge.targetHandle] as unknown[] | undefined) ?? [];
      out[edge.targetHandle] = list.concat(Array.isArray(value) ? value : [value]);
    } else {
      out[edge.targetHandle] = value;
    }
  }
  return out;
}

/** A bypassed node's outputs: each takes the value of the link bypassRoutes picks (validation made sure one exists). */
export function bypassedOutputs(doc: PipelineDocument, node: PipelineNode, byNode: Map<string, NodeRunRow>): Record<string, unknown> {
  const def = getNode(node.type);
  if (!def) return {};
  const types = new Map(doc.nodes.map((n) => [n.id, getNode(n.type)]));
  const links = doc.edges
    .filter((e) => e.target === node.id)
    .map((e) => ({ edgeId: e.id, targetHandle: e.targetHandle, sourceType: types.get(e.source)?.outputs.find((p) => p.name === e.sourceHandle)?.type ?? ('any' as const) }));
  const outputs: Record<string, unknown> = {};
  for (const [port, link] of Object.entries(bypassRoutes(def, links))) {
    const edge = link && doc.edges.find((e) => e.id === link.edgeId);
    const value = edge ? (byNode.get(edge.source)?.outputs as Record<string, unknown> | null)?.[edge.sourceHandle] : undefined;
    if (value !== undefined) outputs[port] = value;
  }
  return outputs;
}

function taskFailure(task: TaskSnapshot): ErrorJson {
  const raw = task.raw as Record<string, unknown> | null;
  const data = raw && typeof raw.data === 'object' ? (raw.data as Record<string, unknown>) : raw;
  const reason = messageOf(data?.error ?? data?.reason ?? data?.message ?? null);
  return { code: 'task_failed', message: `Freepik reported task ${task.taskId ?? ''} FAILED${reason ? `: ${reason}` : ' (no reason given)'}` };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether `url` gives any HTTP answer within a few seconds (our own server, so loopback is fine). */
export async function answers(url: string, timeoutMs = 3_000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** `{data:[{task_id,status,created_at?}]}` of a list route. */
function readTaskList(body: unknown): { taskId: string; createdAt?: number }[] {
  const data = body && typeof body === 'object' ? (body as { data?: unknown }).data : undefined;
  const items = Array.isArray(data) ? data : Array.isArray(body) ? body : [];
  return items.flatMap((item) => {
    if (!item || typeof item !== 'object') return [];
    const o = item as Record<string, unknown>;
    const id = o.task_id ?? o.id;
    if (typeof id !== 'string' && typeof id !== 'number') return [];
    const created = o.created_at ?? o.createdAt ?? o.created;
    const createdAt = typeof created === 'string' || typeof created === 'number' ? new Date(created).getTime() : undefined;
    return [{ taskId: String(id), ...(createdAt !== undefined && Number.isFinite(createdAt) ? { createdAt } : {}) }];
  });
}

/** What a request looked like, for the journal and logs: no base64 bodies, no file bytes. */
export function summarizeRequest(request: HttpRequest, service: Service): Record<string, unknown> {
  const summarize = (v: unknown): unknown => {
    if (isBinaryFile(v)) return `<file ${v.filename} ${v.contentType} ${v.data.byteLength} bytes>`;
    if (typeof v === 'string') {
      if (v.startsWith('data:') || v.length > 300) return `<${v.length} chars>`;
      if (/^https?:\/\//.test(v)) return redactUrl(v);
      return v;
    }
    if (Array.isArray(v)) return v.map(summarize);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, summarize(x)]));
    return v;
  };
  return { service, method: request.method, path: request.path, encoding: request.encoding ?? 'json', body: summarize(request.body ?? null) };
}

export function extensionOf(mime: string): string {
  return ({ 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif', 'video/mp4': 'mp4' } as Record<string, string>)[mime] ?? 'bin';
}

function lastPathSegment(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).pathname.split('/').pop() || '') || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Downloads a caller's image URL. The URL rules run first; then the address DNS gives is
 * checked on the connection itself (a public name may resolve to a private address), and
 * redirects are followed by hand so each hop is checked again. In simulator mode loopback
 * is allowed: that is where the simulator and test servers live.
 */
export async function downloadPublic(url: string, maxBytes: number, allowPrivate: boolean, redirects = 3): Promise<Buffer> {
  const problem = checkImageUrl(url, { allowPrivate });
  if (problem) throw new PikflowError('invalid_input', problem);
  const target = new URL(url);
  const lib = target.protocol === 'https:' ? https : http;
  return new Promise<Buffer>((resolve, reject) => {
    const request = lib.get(
      target,
      {
        timeout: 30_000,
        lookup: (hostname, options, callback) => {
          lookup(hostname, { all: false, family: (options as { family?: number }).family || 0 })
            .then(({ address, family }) => {
              if (!allowPrivate && isPrivateAddress(address)) {
                callback(new PikflowError('invalid_input', `image URLs must not point at a private address (${hostname} resolves to ${address})`), '', 4);
              } else callback(null, address, family);
            })
            .catch((error: NodeJS.ErrnoException) => callback(error, '', 4));
        },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400 && response.headers.location) {
          response.resume();
          if (redirects <= 0) return reject(new PikflowError('invalid_input', `${redactUrl(url)} redirects too many times`));
          const next = new URL(response.headers.location, target).toString();
          return resolve(downloadPublic(next, maxBytes, allowPrivate, redirects - 1));
        }
        if (status !== 200) {
          response.resume();
          return reject(new PikflowError('invalid_input', `downloading ${redactUrl(url)} failed: HTTP ${status}`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size > maxBytes) {
            request.destroy();
            reject(new PikflowError('payload_too_large', `${redactUrl(url)} is larger than ${maxBytes} bytes`));
          } else chunks.push(chunk);
        });
        response.on('end', () => resolve(Buffer.concat(chunks)));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error) =>
      reject(isPikflowError(error) ? error : new PikflowError('invalid_input', `downloading ${redactUrl(url)} failed: ${error.message}`)),
    );
  });
}
