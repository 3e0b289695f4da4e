/**
 * createEngine wires the pieces behind the Engine interface: the asset store, the
 * Freepik client, pg-boss queues, the event bus and the executor.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import { PikflowError, getNode, isPikflowError, readTask } from '@pikflow/catalog';
import { engineProcesses, nodeRuns, pipelineVersions, quotaWaits, runIdempotencyKeys, runs, webhookDeliveries, type DbHandle } from '@pikflow/db';
import {
  describeNode,
  parseRunInputs,
  type CachedFrom,
  type CacheMode,
  type PipelineDocument,
  readImageReference,
  validatePipeline,
  type NodeRunView,
  type RetryView,
  type RunStatus,
  type RunView,
} from '@pikflow/pipeline';
import { createAssetStore, type AssetRow } from './asset-store.ts';
import { webhooksEnabled } from './config.ts';
import { DEATH_WATCH_MS, HEARTBEAT_MS, Lease, newLeaseKey } from './liveness.ts';
import { EventBus } from './events.ts';
import { Executor, SWEEP_MS, answers, isTerminalRun } from './executor.ts';
import { FreepikClient } from './freepik-client.ts';
import { JobQueue, QUEUES, type WorkerOptions } from './jobs.ts';
import { QuotaLimiter, withQuotaChoice } from './limiter.ts';
import { QuotaPolicy } from './quota-table.ts';
import { BatchAdmission } from './batches.ts';
import { planSubmissions, planUnknownRuns, type SubmissionPlan } from './estimate-plan.ts';
import { checkBudgets, checkPlan, estimateRuns, notTodayMessage, refuseIfNotToday, usageView } from './usage.ts';
import type { Engine, EngineConfig, ListRunsQuery, StartRunRequest, StoredAsset } from './types.ts';
import { correlationTagMatches, verifyWebhook } from './webhook.ts';
import { applyCacheOptions, cachePlanOf, markerOf, withoutCachePlan } from './node-cache.ts';
import { imageLimitError, runInputLimitProblems } from './image-limit-checks.ts';

export interface CreateEngineOptions {
  config: EngineConfig;
  db: DbHandle;
  logger: Logger;
  /** pg-boss worker tuning (per queue, per process). */
  workers?: Partial<WorkerOptions>;
}

export interface PikflowEngine extends Engine {
  /** Engine-side request counters (benchmark and tests). */
  readonly stats: FreepikClient['stats'];
}

export function createEngine({ config, db: handle, logger, workers }: CreateEngineOptions): PikflowEngine {
  const log = logger.child({ component: 'engine' });
  const assets = createAssetStore(handle.db, config.assetsDir);
  const policy = new QuotaPolicy(config.quota ?? { plan: 'none' });
  const quota = new QuotaLimiter(handle.db, policy, log, config.budgets?.perDay !== undefined);
  const client = new FreepikClient({
    onRequest: (kind, tag, status, attempt) => quota.record(kind, tag, status, attempt),
    // Shown on the node while the client waits (the executor writes it to the node run, with an event).
    onRetry: (tag, notice): Promise<void> => executor.noteRetry(tag, notice),
    freepikBaseUrl: config.freepik.baseUrl,
    apiKey: config.freepik.apiKey,
    fileServiceUrl: config.fileServiceUrl,
    logger: log,
    submitTimeoutMs: config.submitTimeoutMs,
  });
  const jobs = new JobQueue(handle, log);
  const events = new EventBus(handle, log);
  // Each start of a job-taking engine is one process in engine_processes, with a heartbeat.
  const processId = `${process.pid}-${randomUUID()}`;
  const executor: Executor = new Executor({ config, handle, jobs, events, assets, client, quota, logger: log, processId });
  let heartbeat: NodeJS.Timeout | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  let deathWatch: NodeJS.Timeout | undefined;
  let lease: Lease | undefined;
  const workerOptions: WorkerOptions = { batchSize: 20, concurrency: 2, pollingIntervalSeconds: 2, ...workers };
  const db = handle.db;
  let started = false;
  // Batch items start through engine.startRun (one place for input checks and budgets).
  const batches = new BatchAdmission({ db, log, startRun: (request) => engine.startRun(request), cancelRun: (runId) => engine.cancelRun(runId) });

  /**
   * The submissions runs will make (estimate-plan.ts): with their inputs, the result cache's
   * share is left out; with only a count, every node of every run. Undefined for a document that
   * cannot be planned (invalid: the estimate counts its nodes).
   */
  async function planFor(document: PipelineDocument, runs: Record<string, unknown>[] | number, cacheMode: CacheMode = 'use'): Promise<SubmissionPlan | undefined> {
    const validation = validatePipeline(document);
    if (!validation.ok || !validation.document) return undefined;
    const assumed = config.prices?.assumedMegapixels;
    if (typeof runs === 'number') return planUnknownRuns(db, config, validation.document, runs, assumed);
    return planSubmissions(db, config, validation.document, runs, cacheMode, assumed);
  }

  async function getRun(runId: string): Promise<RunView | null> {
    if (!/^[0-9a-f-]{36}$/i.test(runId)) return null;
    const [row] = await db
      .select({ run: runs, version: pipelineVersions.version })
      .from(runs)
      .leftJoin(pipelineVersions, eq(pipelineVersions.id, runs.pipelineVersionId))
      .where(eq(runs.id, runId));
    if (!row) return null;
    const [nodes, waits] = await Promise.all([
      db.select().from(nodeRuns).where(eq(nodeRuns.runId, runId)),
      db.select().from(quotaWaits).where(eq(quotaWaits.runId, runId)),
    ]);
    return toRunView(row.run, row.version, nodes, waits);
  }

  /** The run an earlier request with this Idempotency-Key started; a different request with the key is refused. */
  async function findIdempotentRun(idempotency: { scope: string; key: string; fingerprint: string }): Promise<{ runId: string; replayed: true } | undefined> {
    const [row] = await db
      .select()
      .from(runIdempotencyKeys)
      .where(and(eq(runIdempotencyKeys.pipelineId, idempotency.scope), eq(runIdempotencyKeys.key, idempotency.key)));
    if (!row) return undefined;
    if (row.fingerprint !== idempotency.fingerprint) {
      throw new PikflowError('idempotency_key_reused', `Idempotency-Key "${idempotency.key}" was already used for a different request (run ${row.runId}); use a new key for a new run`, {
        field: 'Idempotency-Key',
      });
    }
    return { runId: row.runId, replayed: true };
  }

  const engine: PikflowEngine = {
    config,
    assets,
    stats: client.stats,

    async start() {
      if (started) return;
      started = true;
      await jobs.start();
      await events.start();
      quota.start();
      if (config.runWorkers) {
        if (config.publicUrl && config.waitForPublicUrlMs) await waitForPublicUrl(config.publicUrl, config.waitForPublicUrlMs, log);
        // On PostgreSQL the process also holds a lease (an advisory lock on a connection of its own),
        // so others know it died the moment it did rather than after a silence (liveness.ts).
        const leaseKey = handle.kind === 'postgres' && handle.databaseUrl ? newLeaseKey() : undefined;
        // An upsert: a process taken for dead during a database outage (its row removed) comes back.
        // With the beat goes the list of jobs held now, so a death leaves no doubt whose active jobs were lost.
        const beat = () => {
          const heldJobs = jobs.heldJobIds();
          return db
            .insert(engineProcesses)
            .values({ id: processId, pid: process.pid, leaseKey: leaseKey ?? null, heldJobs })
            .onConflictDoUpdate({ target: engineProcesses.id, set: { heartbeatAt: sql`now()`, heldJobs } })
            .catch((error: Error) => log.warn({ err: error.message }, 'heartbeat failed'));
        };
        if (leaseKey !== undefined) {
          lease = new Lease(handle.databaseUrl!, leaseKey, log, () => void beat());
          await lease.start();
        }
        await beat();
        heartbeat = setInterval(() => void beat(), HEARTBEAT_MS);
        heartbeat.unref();
        await jobs.work(QUEUES.execute, workerOptions, (data) => executor.executeNode(data));
        await jobs.work(QUEUES.check, workerOptions, (data) => executor.checkNode(data));
        await executor.recover();
        // A restarted process often finds its predecessor already dead: take its work over now, not a tick later.
        if (handle.kind === 'postgres') await executor.reapDeadProcesses().catch((error: Error) => log.warn({ err: error.message }, 'death watch failed'));
        batches.start();
        // Recovery is continuous: lost work (a dead worker's jobs, a lost hand-off) is re-sent within a sweep.
        sweeper = everyUnlessBusy(log, SWEEP_MS, () => executor.sweep(), 'recovery sweep failed');
        // A death is acted on within a second: the dead process's work is taken over by a sweep then.
        // (PGlite has no other processes: the start-up recovery covers its predecessors.)
        if (handle.kind === 'postgres') deathWatch = everyUnlessBusy(log, DEATH_WATCH_MS, () => executor.reapDeadProcesses(), 'death watch failed');
      }
      log.info({ mode: config.mode, database: handle.kind, workers: config.runWorkers, webhooks: Boolean(config.publicUrl && config.webhookSecret) }, 'engine started');
    },

    async stop() {
      if (!started) return;
      started = false;
      clearInterval(heartbeat);
      clearInterval(sweeper);
      clearInterval(deathWatch);
      await batches.stop();
      await jobs.stop();
      // A clean stop is known at once: this process's submissions are not waited for.
      if (config.runWorkers) await db.delete(engineProcesses).where(eq(engineProcesses.id, processId)).catch(() => {});
      await lease?.stop();
      await events.stop();
      await quota.stop();
      await client.close();
    },

    async startRun(request: StartRunRequest) {
      const idempotency = request.idempotency ? { scope: request.pipelineId ?? NO_PIPELINE, ...request.idempotency } : undefined;
      if (idempotency) {
        const earlier = await findIdempotentRun(idempotency);
        if (earlier) return earlier;
      }
      // Run inputs come from callers: private and loopback URLs are refused in every mode
      // (the simulator's own result URLs never arrive this way).
      const validation = validatePipeline(request.document);
      if (!validation.ok || !validation.document) {
        const first = validation.problems[0];
        throw new PikflowError(
          'validation_failed',
          validation.problems.length === 1 ? `The pipeline is invalid: ${first?.message}` : `The pipeline has ${validation.problems.length} problems: ${validation.problems.map((p) => p.message).join('; ')}`,
          { nodeId: first?.nodeId, field: first?.field, problems: validation.problems },
        );
      }
      // Endpoints that report only by webhook cannot finish here without one: say so before paying.
      if (!webhooksEnabled(config)) {
        const problems = validation.document.nodes.flatMap((node) => {
          const execution = getNode(node.type)?.execution;
          return execution?.kind === 'http' && execution.mode === 'webhook-only'
            ? [{ nodeId: node.id, field: 'type', message: `${describeNode(node)} reports its result only by webhook; set PUBLIC_URL and FREEPIK_WEBHOOK_SECRET so Freepik can call this server back` }]
            : [];
        });
        if (problems.length) throw new PikflowError('validation_failed', problems.map((p) => p.message).join('; '), { nodeId: problems[0]!.nodeId, field: 'type', problems });
      }
      const inputs = parseRunInputs(validation, request.inputs, { maxImageBytes: config.maxDownloadBytes });
      // An asset id that does not exist is the caller's mistake: say so now, not as a failed run later.
      const missing: { field: string; nodeId: string; code: string; message: string }[] = [];
      for (const spec of validation.inputs) {
        if (spec.type !== 'image' && spec.type !== 'image[]') continue;
        for (const value of [inputs[spec.name]].flat()) {
          const ref = readImageReference(value, { maxImageBytes: config.maxDownloadBytes });
          if (typeof ref === 'object' && ref.kind === 'asset' && !(await assets.get(ref.assetId))) {
            missing.push({ field: spec.name, nodeId: spec.nodeId, code: 'unknown_asset', message: `${spec.name}: asset ${ref.assetId} does not exist (upload the image with POST /api/assets first)` });
          }
        }
      }
      if (missing.length) {
        throw new PikflowError('invalid_input', `Invalid run input: ${missing.map((p) => p.message).join('; ')}`, { field: missing[0]!.field, nodeId: missing[0]!.nodeId, problems: missing });
      }
      // The catalog's documented image limits (Kling's 300×300 px and 1:2.5–2.5:1): a 4xx naming the node and port, before anything is paid.
      const broken = await runInputLimitProblems(validation.document, validation.inputs, inputs, (id) => assets.get(id), { maxImageBytes: config.maxDownloadBytes });
      if (broken.length) throw imageLimitError(broken);
      // A run over a budget is refused before anything is stored or spent.
      checkPlan(policy, validation.document);
      await checkBudgets(db, config.budgets, validation.document, 1, false);
      // Fail-fast: a run that would meet a used-up daily quota is refused now (batch items were checked with their batch).
      if (request.onQuotaExhausted === 'fail' && !request.runId) {
        await quota.flush();
        refuseIfNotToday(await estimateRuns(db, policy, validation.document, 1, config.prices), 'run');
      }
      // Data URIs become assets now: the run row keeps a small asset id, and a non-image is a 415 at once.
      // Their rows are inserted with the run (one statement).
      const uploads: { asset: StoredAsset; row: AssetRow }[] = [];
      for (const spec of validation.inputs) {
        const value = inputs[spec.name];
        if (spec.type !== 'image' || typeof value !== 'string') continue;
        const ref = readImageReference(value, { maxImageBytes: config.maxDownloadBytes });
        if (typeof ref === 'object' && ref.kind === 'data') {
          const upload = await assets.prepareUpload(Buffer.from(ref.base64, 'base64')).catch((error: unknown) => {
            if (error instanceof PikflowError) throw new PikflowError(error.code, `${spec.name}: ${error.message}`, { nodeId: spec.nodeId, field: spec.name });
            throw error;
          });
          uploads.push(upload);
          inputs[spec.name] = upload.asset.assetId;
        }
      }
      let runId: string;
      try {
        runId = await executor.createRun({
          document: withQuotaChoice(applyCacheOptions(validation.document, request.cache, request.retry), request.onQuotaExhausted),
          inputs,
          pipelineId: request.pipelineId,
          pipelineVersionId: request.pipelineVersionId,
          uploads,
          runId: request.runId,
          idempotency,
        });
      } catch (error) {
        // A concurrent request with the same key committed first: its run is the answer.
        const earlier = idempotency && isUniqueViolation(error) ? await findIdempotentRun(idempotency) : undefined;
        if (earlier) return earlier;
        throw error;
      }
      log.info({ runId, pipelineId: request.pipelineId }, 'run queued');
      return { runId };
    },

    async retryRun(runId) {
      const [original] = await db.select().from(runs).where(eq(runs.id, runId));
      if (!original) throw new PikflowError('not_found', `run ${runId} does not exist`, { field: 'id' });
      if (!isTerminalRun(original.status)) throw new PikflowError('conflict', `run ${runId} is still ${original.status}: retry it once it has ended`);
      const document = original.document as PipelineDocument;
      // Every HTTP node the original completed is reused; the rest run (through the cache as usual).
      const completed = await db
        .select({ id: nodeRuns.id, nodeId: nodeRuns.nodeId, nodeType: nodeRuns.nodeType })
        .from(nodeRuns)
        .where(and(eq(nodeRuns.runId, runId), eq(nodeRuns.status, 'succeeded')));
      const reuse = Object.fromEntries(completed.filter((n) => getNode(n.nodeType)?.execution.kind === 'http').map((n) => [n.nodeId, n.id]));
      const { runId: retryId } = await engine.startRun({
        pipelineId: original.pipelineId ?? undefined,
        pipelineVersionId: original.pipelineVersionId ?? undefined,
        document: withoutCachePlan(document),
        inputs: original.inputs as Record<string, unknown>,
        // The original's cache mode carries over, not its refreshes: those nodes ran already.
        cache: { mode: cachePlanOf(document).mode === 'off' ? 'off' : 'use' },
        retry: { reuse, retryOf: runId },
      });
      log.info({ runId: retryId, retryOf: runId, reused: Object.keys(reuse).length }, 'run retried');
      return { runId: retryId };
    },

    async cancelRun(runId) {
      const before = await getRun(runId);
      if (!before) throw new PikflowError('not_found', `run ${runId} does not exist`);
      if (!isTerminalRun(before.status)) await executor.cancel(runId);
      return (await getRun(runId))!;
    },

    getRun,

    async usage(days = 7) {
      // This process's buffered ledger rows first, so a caller sees its own requests.
      await quota.flush();
      return usageView(db, policy, Math.min(Math.max(Math.trunc(days), 1), 90));
    },

    async estimate(document, count, options = {}) {
      await quota.flush();
      const plan = await planFor(document, options.items ?? count, options.cacheMode);
      return estimateRuns(db, policy, document, options.items?.length ?? count, config.prices, plan);
    },

    async createBatch(request) {
      const validation = validatePipeline(request.document);
      if (!validation.ok || !validation.document) {
        throw new PikflowError('validation_failed', `The pipeline is invalid: ${validation.problems.map((p) => p.message).join('; ')}`, { problems: validation.problems });
      }
      if (request.items.length === 0) throw new PikflowError('invalid_input', 'A batch needs at least one item', { field: 'items' });
      // Every item's inputs are checked now (shape, URL safety), as a single run's are: the caller learns at once.
      const problems: { field: string; message: string }[] = [];
      request.items.forEach((item, i) => {
        try {
          parseRunInputs(validation, item.inputs, { maxImageBytes: config.maxDownloadBytes });
        } catch (error) {
          if (!isPikflowError(error)) throw error;
          if (problems.length < 20) problems.push({ field: `items[${i}]`, message: `item ${i + 1} (${item.label ?? `item-${i + 1}`}): ${error.message}` });
        }
      });
      // Uploaded images (the usual batch) are held already: their documented limits are checked now too.
      for (const [i, item] of problems.length ? [] : request.items.entries()) {
        if (problems.length >= 20) break;
        const inputs = parseRunInputs(validation, item.inputs, { maxImageBytes: config.maxDownloadBytes });
        const broken = await runInputLimitProblems(validation.document, validation.inputs, inputs, (id) => assets.get(id), { maxImageBytes: config.maxDownloadBytes });
        if (broken.length) problems.push({ field: `items[${i}]`, message: `item ${i + 1} (${item.label ?? `item-${i + 1}`}): ${imageLimitError(broken).message}` });
      }
      if (problems.length) throw new PikflowError('invalid_input', problems.map((p) => p.message).join('; '), { field: problems[0]!.field, problems });
      checkPlan(policy, validation.document);
      await quota.flush();
      // What the batch will really submit (the result cache spares identical work) decides its budgets and today's fit.
      const plan = await planFor(validation.document, request.items.map((i) => i.inputs), request.cacheMode);
      await checkBudgets(db, config.budgets, validation.document, request.items.length, true, plan && [...plan.byType.values()].reduce((a, b) => a + b, 0));
      const estimate = await estimateRuns(db, policy, validation.document, request.items.length, config.prices, plan);
      // A batch that cannot finish today says so before it starts: refused with 'fail', a warning otherwise.
      if (request.onQuotaExhausted === 'fail') refuseIfNotToday(estimate, 'batch');
      const batchId = await batches.create({ ...request, document: validation.document });
      log.info({ batchId, items: request.items.length, pipelineId: request.pipelineId, fitsToday: estimate.fitsToday }, 'batch created');
      const warning = notTodayMessage(estimate, 'batch');
      return { batchId, estimate, ...(warning ? { warning } : {}) };
    },

    getBatch: (batchId) => batches.get(batchId),

    listBatches: ({ pipelineId, limit }) => batches.list(pipelineId, Math.min(Math.max(limit ?? 20, 1), 100)),

    async controlBatch(batchId, action) {
      if (action === 'retry-failed') await batches.retryFailed(batchId);
      else await batches.control(batchId, action);
      return (await batches.get(batchId))!;
    },

    batchItems: (batchId, afterIdx, limit) => batches.items(batchId, afterIdx, limit),

    async listRuns(query: ListRunsQuery) {
      const limit = Math.min(Math.max(query.limit ?? 20, 1), 100);
      const cursor = decodeCursor(query.cursor);
      const conditions = [
        query.pipelineId ? eq(runs.pipelineId, query.pipelineId) : undefined,
        query.status ? eq(runs.status, query.status) : undefined,
        cursor
          ? or(
              sql`${runs.createdAt} < ${cursor.createdAt}::timestamptz`,
              and(sql`${runs.createdAt} = ${cursor.createdAt}::timestamptz`, lt(runs.id, cursor.id)),
            )
          : undefined,
      ].filter((c) => c !== undefined);
      const rows = await db
        .select({ run: runs, version: pipelineVersions.version, key: sql<string>`${runs.createdAt}::text` })
        .from(runs)
        .leftJoin(pipelineVersions, eq(pipelineVersions.id, runs.pipelineVersionId))
        .where(conditions.length ? and(...conditions) : undefined)
        .orderBy(desc(runs.createdAt), desc(runs.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      const ids = page.map((r) => r.run.id);
      const [nodes, waits] = page.length
        ? await Promise.all([db.select().from(nodeRuns).where(inArray(nodeRuns.runId, ids)), db.select().from(quotaWaits).where(inArray(quotaWaits.runId, ids))])
        : [[], []];
      const views = page.map((r) => toRunView(r.run, r.version, nodes.filter((n) => n.runId === r.run.id), waits.filter((w) => w.runId === r.run.id)));
      const last = page[page.length - 1];
      return { runs: views, ...(rows.length > limit && last ? { nextCursor: encodeCursor(last.key, last.run.id) } : {}) };
    },

    async waitForRun(runId, timeoutMs) {
      const initial = await getRun(runId);
      if (!initial) throw new PikflowError('not_found', `run ${runId} does not exist`);
      if (isTerminalRun(initial.status)) return initial;
      return new Promise<RunView>((resolve) => {
        let done = false;
        const finish = async () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          clearInterval(safety);
          unsubscribe();
          resolve((await getRun(runId)) ?? initial);
        };
        const timer = setTimeout(finish, timeoutMs);
        // Events are the fast path; a slow re-read covers a missed notification.
        const safety = setInterval(async () => {
          const view = await getRun(runId).catch(() => null);
          if (view && isTerminalRun(view.status)) void finish();
        }, 2_000);
        const unsubscribe = events.subscribe(runId, 0, (event) => {
          if (event.type === 'run.finished') void finish();
        });
      });
    },

    subscribe(runId, afterEventId, listener) {
      return events.subscribe(runId, afterEventId, listener);
    },

    async acceptWebhook(request) {
      if (!config.webhookSecret) throw new PikflowError('webhook_rejected', 'webhook refused: no webhook secret is configured');
      const { webhookId } = verifyWebhook(config.webhookSecret, request);
      let body: unknown;
      try {
        body = JSON.parse(request.rawBody);
      } catch {
        throw new PikflowError('webhook_rejected', 'webhook refused: the body is not JSON');
      }
      const task = readTask(body);
      const inserted = await db
        .insert(webhookDeliveries)
        .values({ webhookId, taskId: task.taskId ?? null })
        .onConflictDoNothing()
        .returning({ webhookId: webhookDeliveries.webhookId });
      if (!inserted.length) throw new PikflowError('webhook_rejected', `webhook refused: webhook-id ${webhookId} was already received (replay)`);
      if (!task.taskId) return;
      // A task whose submission answer was lost (or is still in flight) announces its node run and attempt
      // in the URL: adopt it there, so the submission is resolved without guessing from the task list.
      const nodeRun = typeof request.query?.node_run === 'string' ? request.query.node_run : undefined;
      const submission = Number(request.query?.attempt);
      if (nodeRun && /^[0-9a-f-]{36}$/i.test(nodeRun) && Number.isInteger(submission) && correlationTagMatches(config.webhookSecret, nodeRun, submission, request.query?.tag)) await executor.adoptAnnounced(nodeRun, submission, task.taskId);
      // A fast task can call back before our journal write of its id has committed: look a few times.
      for (let attempt = 0; attempt < 10; attempt++) {
        if ((await executor.applyTaskUpdate(task.taskId, body)) === 'applied') return;
        const [known] = await db.select({ id: nodeRuns.id }).from(nodeRuns).where(eq(nodeRuns.taskId, task.taskId)).limit(1);
        if (known) return; // known but already finished: nothing to do
        const submitting = await db.select({ n: sql<number>`count(*)` }).from(nodeRuns).where(eq(nodeRuns.submitState, 'submitting'));
        if (!Number(submitting[0]?.n)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      log.debug({ taskId: task.taskId }, 'webhook for an unknown task ignored');
    },
  };
  return engine;
}

/** Runs `task` every `ms` (never two at once), logging a failure; the timer does not hold the process open. */
function everyUnlessBusy(log: Logger, ms: number, task: () => Promise<unknown>, failure: string): NodeJS.Timeout {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    task()
      .catch((error: Error) => log.warn({ err: error.message }, failure))
      .finally(() => (busy = false));
  }, ms);
  timer.unref();
  return timer;
}

/** Idempotency keys of runs started without a pipeline id share this scope. */
const NO_PIPELINE = '00000000-0000-0000-0000-000000000000';

function isUniqueViolation(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.code === '23505') return true;
  }
  return false;
}

/** Waits (bounded) until the server behind PUBLIC_URL answers: any HTTP answer will do. */
async function waitForPublicUrl(publicUrl: string, maxMs: number, log: Logger): Promise<void> {
  const until = Date.now() + maxMs;
  let said = false;
  while (!(await answers(`${publicUrl}/api/health`, 2_000))) {
    if (Date.now() >= until) {
      log.warn({ publicUrl }, 'PUBLIC_URL still does not answer: taking jobs anyway (refused asset fetches are retried)');
      return;
    }
    if (!said) log.info({ publicUrl }, 'waiting for PUBLIC_URL to answer before taking jobs');
    said = true;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

function toRunView(
  run: typeof runs.$inferSelect,
  version: number | null,
  nodes: (typeof nodeRuns.$inferSelect)[],
  waits: (typeof quotaWaits.$inferSelect)[] = [],
): RunView {
  const waitOf = new Map(waits.map((w) => [w.nodeRunId, w]));
  const docNodes = (run.document as { nodes?: { id: string; bypass?: boolean }[] }).nodes ?? [];
  const order = new Map(docNodes.map((n, i) => [n.id, i]));
  // A bypassed node is stored 'succeeded' (its downstream runs on), and shown as what it was.
  const bypassed = new Set(docNodes.filter((n) => n.bypass).map((n) => n.id));
  const iso = (d: Date | null) => (d ? d.toISOString() : undefined);
  const now = Date.now();
  return {
    id: run.id,
    ...(run.pipelineId ? { pipelineId: run.pipelineId } : {}),
    ...(version != null ? { pipelineVersion: version } : {}),
    status: run.status as RunStatus,
    inputs: run.inputs as Record<string, unknown>,
    ...(run.outputs ? { outputs: run.outputs as Record<string, unknown> } : {}),
    ...(run.error ? { error: run.error as RunView['error'] } : {}),
    createdAt: run.createdAt.toISOString(),
    ...(run.startedAt ? { startedAt: iso(run.startedAt) } : {}),
    ...(run.finishedAt ? { finishedAt: iso(run.finishedAt) } : {}),
    nodes: nodes
      .slice()
      .sort((a, b) => (order.get(a.nodeId) ?? 0) - (order.get(b.nodeId) ?? 0))
      .map((n): NodeRunView => {
        // A queued node with a wait row is held back by a Freepik limit (limiter.ts).
        const wait = n.status === 'queued' ? waitOf.get(n.id) : undefined;
        const retrying = retryingOf(n, now);
        return {
          nodeId: n.nodeId,
          nodeType: n.nodeType,
          status: cachedFromOf(n) ? 'cached' : wait ? 'waiting_for_quota' : n.status === 'succeeded' && bypassed.has(n.nodeId) ? 'bypassed' : n.status,
          ...(wait ? { waiting: { service: wait.service, reason: wait.reason as NonNullable<NodeRunView['waiting']>['reason'], until: wait.until.toISOString() } } : {}),
          ...(retrying ? { retrying } : {}),
          ...(n.taskId ? { taskId: n.taskId } : {}),
          attempt: n.attempt,
          pollCount: n.pollCount,
          ...(n.possibleDuplicateCharge ? { possibleDuplicateCharge: true as const } : {}),
          ...(n.startedAt ? { startedAt: iso(n.startedAt) } : {}),
          ...(n.submittedAt ? { submittedAt: iso(n.submittedAt) } : {}),
          ...(n.finishedAt ? { finishedAt: iso(n.finishedAt) } : {}),
          ...(n.inputs ? { inputs: n.inputs as Record<string, unknown> } : {}),
          ...(n.outputs ? { outputs: n.outputs as Record<string, unknown> } : {}),
          ...(n.error ? { error: n.error as NodeRunView['error'] } : {}),
          ...(cachedFromOf(n) ? { cachedFrom: cachedFromOf(n)! } : {}),
        };
      }),
    usage: usageOf(nodes),
  };
}

/**
 * A retry notice still worth showing: the node is unfinished and the retry is due, or was due
 * less than RETRY_NOTICE_GRACE_MS ago (the repeated request is under way). A notice whose
 * process died mid-wait is never cleared by it: this bounds how long it stays on screen.
 */
function retryingOf(n: typeof nodeRuns.$inferSelect, now: number): RetryView | undefined {
  const notice = n.retrying as RetryView | null;
  if (!notice || (n.status !== 'running' && n.status !== 'submitted' && n.status !== 'queued')) return undefined;
  return Date.parse(notice.retryAt) + RETRY_NOTICE_GRACE_MS > now ? notice : undefined;
}

const RETRY_NOTICE_GRACE_MS = 15_000;

/** A node run served from the result cache shows as 'cached', naming the run its outputs came from. */
function cachedFromOf(n: typeof nodeRuns.$inferSelect): CachedFrom | null {
  return n.status === 'succeeded' ? markerOf(n.requestSummary) : null;
}

/** Cached nodes, and the Freepik requests the run made (each submission and each status check). */
function usageOf(nodes: (typeof nodeRuns.$inferSelect)[]): RunView['usage'] {
  let cachedNodes = 0;
  let freepikSubmissions = 0;
  let freepikRequests = 0;
  for (const n of nodes) {
    if (cachedFromOf(n)) cachedNodes++;
    const execution = getNode(n.nodeType)?.execution;
    if (execution?.kind !== 'http' || execution.service !== 'freepik') continue;
    freepikSubmissions += n.attempt;
    freepikRequests += n.attempt + n.pollCount;
  }
  return { cachedNodes, freepikSubmissions, freepikRequests };
}

// The cursor keeps Postgres's own microsecond timestamp text: a JS Date would round it to ms.
function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string | undefined): { createdAt: string; id: string } | undefined {
  if (!cursor) return undefined;
  const [createdAt = '', id = ''] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!/^[0-9a-f-]{36}$/i.test(id) || !/^\d{4}-\d{2}-\d{2}[ T][\d:.]+(Z|[+-]\d{2}(:?\d{2})?)?$/.test(createdAt)) throw new PikflowError('invalid_input', 'the cursor is not one this API returned', { field: 'cursor' });
  return { createdAt, id };
}
