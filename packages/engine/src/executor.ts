/**
 * The DAG executor. How a run moves, top to bottom:
 *
 * 1. startRun writes the run, one node_runs row per node ('pending') and, in the same
 *    transaction, advances it: nodes whose inputs are all ready become 'queued' and get a
 *    `node-execute` job. Output nodes need no work and complete inside the advance.
 * 2. `node-execute` {runId,nodeId} runs one node:
 *    - input nodes resolve the run input (asset id / URL / data URI) into an asset;
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
 *    and the run ends 'failed' naming the node once nothing else is running.
 *
 * Every transaction that advances a run locks its row (SELECT … FOR UPDATE), so two nodes
 * finishing at once on different workers cannot both miss a join. Jobs are inserted in the
 * transactions that imply them; events too (with the cross-process NOTIFY in the same
 * statement on PostgreSQL), and are published in-process after commit.
 *
 * Never paying twice: the journal CAS (submit_state 'none' → 'submitting') lets exactly one
 * executor POST for a node, and duplicated jobs (pg-boss retries, recovery) only ever
 * resume from the journal. A POST whose answer was lost is 'ambiguous': it is reconciled
 * through the endpoint's list route (adopt the one task of that endpoint, not journaled by
 * any node run, that appeared in the submit window), and otherwise the node fails with
 * `ambiguous_submit` — we would rather ask a human than pay for a second task. The file
 * service upload is keyed by the node run's idempotency key, so re-POSTing it is safe.
 *
 * Recovery (start): runs left 'queued'/'running' get their lost work re-sent: execute
 * jobs for nodes not yet journaled, check jobs for journaled tasks whose check is overdue.
 */
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
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
import { nodeRuns, runs, type Db, type DbHandle, type NodeRunStatus, type RunStatus } from '@pikflow/db';
import {
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
import { FreepikClient, isBinaryFile, messageOf, redactUrl, type Service } from './freepik-client.ts';
import { QUEUES, type JobQueue, type NodeJobData, type QueueName, type RawClient } from './jobs.ts';
import type { AssetStore, EngineConfig, StoredAsset } from './types.ts';

/** What a job needs of its run: the snapshot (cached, it never changes) and the current status. */
interface RunInfo {
  id: string;
  status: RunStatus;
  inputs: Record<string, unknown>;
}
type NodeRunRow = typeof nodeRuns.$inferSelect;
type ErrorJson = { code: string; message: string; nodeId?: string };

const TERMINAL_NODE: readonly NodeRunStatus[] = ['succeeded', 'failed', 'skipped', 'cancelled'];
const TERMINAL_RUN: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];
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
  job(queue: QueueName, nodeId: string, delayMs?: number): void;
}

interface NodeContext {
  run: RunInfo;
  doc: PipelineDocument;
  node: PipelineNode;
  def: NodeDefinition;
  row: NodeRunRow;
  /** Every node run of the run, by node id (upstream outputs). */
  byNode: Map<string, NodeRunRow>;
  log: Logger;
}

export interface ExecutorDeps {
  config: EngineConfig;
  handle: DbHandle;
  jobs: JobQueue;
  events: EventBus;
  assets: AssetStore;
  client: FreepikClient;
  logger: Logger;
}

export class Executor {
  private readonly db: Db;
  private readonly config: EngineConfig;
  private readonly log: Logger;
  /** Run snapshots by run id: a run's document and inputs never change, so each is read once. */
  private readonly snapshots = new Map<string, { document: PipelineDocument; inputs: Record<string, unknown> }>();

  constructor(private readonly deps: ExecutorDeps) {
    this.db = deps.handle.db;
    this.config = deps.config;
    this.log = deps.logger;
  }

  // ---------------------------------------------------------------------------------------
  // 1. Start: record the run and advance it.

  async createRun(values: {
    document: PipelineDocument;
    inputs: Record<string, unknown>;
    pipelineId?: string;
    pipelineVersionId?: string;
  }): Promise<string> {
    const [run] = await this.db
      .insert(runs)
      .values({ document: values.document, inputs: values.inputs, pipelineId: values.pipelineId, pipelineVersionId: values.pipelineVersionId })
      .returning();
    const runId = run!.id;
    this.remember(runId, values.document, values.inputs);
    await this.inRunTx(runId, async (tx) => {
      await tx.db.insert(nodeRuns).values(values.document.nodes.map((n) => ({ runId, nodeId: n.id, nodeType: n.type })));
      tx.event('run.queued');
      await this.advance(tx);
    });
    return runId;
  }

  // ---------------------------------------------------------------------------------------
  // 2. node-execute

  async executeNode({ runId, nodeId }: NodeJobData): Promise<void> {
    const ctx = await this.load(runId, nodeId);
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
          return await this.submit(ctx, execution);
        case 'submitted':
          // A duplicate job after the task id was journaled: the check jobs carry on.
          return;
        case 'submitting': {
          const window = this.submitWindowMs();
          const since = Date.now() - (row.startedAt?.getTime() ?? 0);
          if (since < window) {
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
    const params = def.params.safeParse(node.params);
    const name = params.success ? String((params.data as { name: string }).name) : node.id;
    const given = (run.inputs as Record<string, unknown>)[name] ?? (params.success ? (params.data as Record<string, unknown>)[def.outputs[0]!.name] : undefined);
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
    const simulator = this.config.mode === 'simulator';
    const ref = readImageReference(value, { maxImageBytes: this.config.maxDownloadBytes, allowPrivateUrls: simulator });
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
        : await downloadPublic(ref.url, this.config.maxDownloadBytes, simulator);
    return this.deps.assets.putUpload(bytes, ref.kind === 'url' ? lastPathSegment(ref.url) : undefined);
  }

  private async submit(ctx: NodeContext, execution: HttpExecution<unknown>): Promise<void> {
    const { node, def, row, run } = ctx;
    // Params and inputs first: nothing is journaled for a node that cannot even build its request.
    const { portValues, recorded } = this.gatherInputs(ctx);
    const params = this.parseParams(node, def, portValues);
    const inputs = await this.transportInputs(ctx, portValues);
    const webhookUrl = execution.service === 'freepik' && webhooksEnabled(this.config) ? `${this.config.publicUrl}/api/webhooks/freepik` : undefined;
    if (execution.mode === 'webhook-only' && !webhookUrl) {
      throw new PikflowError(
        'validation_failed',
        `${describeNode(node)}: this endpoint reports results only by webhook; set PUBLIC_URL and FREEPIK_WEBHOOK_SECRET so Freepik can call back`,
        { nodeId: node.id },
      );
    }
    const request = execution.request({ params, inputs, webhookUrl, idempotencyKey: row.idempotencyKey });

    // Journal before the POST: from here on a restart knows a task may exist.
    const journaled = await this.inRunTx(run.id, async (tx) => {
      const updated = await tx.db
        .update(nodeRuns)
        .set({
          status: 'running',
          submitState: 'submitting',
          attempt: sql`${nodeRuns.attempt} + 1`,
          requestSummary: summarizeRequest(request, execution.service),
          inputs: recorded,
          startedAt: sql`now()`,
        })
        .where(and(eq(nodeRuns.id, row.id), eq(nodeRuns.submitState, 'none'), inArray(nodeRuns.status, ['queued', 'running'])))
        .returning({ id: nodeRuns.id });
      if (updated.length) tx.event('node.started', node.id);
      return updated.length > 0;
    });
    if (!journaled) return; // another executor owns this node

    const log = ctx.log;
    log.info({ request: summarizeRequest(request, execution.service) }, 'submitting');
    const result = await this.deps.client.submit(execution.service, request, log);
    if (result.kind === 'rejected') {
      await this.journalNoTask(row.id);
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
      await this.db.update(nodeRuns).set({ submitState: 'ambiguous' }).where(eq(nodeRuns.id, row.id));
      return this.reconcile(ctx, execution, result.reason);
    }

    const task = readTask(result.body);
    if (execution.mode === 'sync') {
      // The file service is idempotent (keyed upload): its result is journaled with the completion.
      // A Freepik sync task is paid for, so its id is journaled first.
      if (execution.service === 'freepik') await this.journalTask(ctx, task.taskId ?? row.idempotencyKey, null);
      return this.completeFromTask(ctx, execution, { ...task, status: 'COMPLETED' });
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

  /** Records the task id right after the POST answered, before anything else happens. */
  private async journalTask(ctx: NodeContext, taskId: string, checkDelayMs: number | null): Promise<void> {
    const { row, node, run } = ctx;
    ctx.log = ctx.log.child({ taskId });
    await this.inRunTx(run.id, async (tx) => {
      // The task id is kept even when the run was cancelled meanwhile: it was paid for.
      const updated = await tx.db
        .update(nodeRuns)
        .set({
          taskId,
          submitState: 'submitted',
          submittedAt: sql`now()`,
          status: sql`CASE WHEN ${nodeRuns.status} = 'running' THEN 'submitted' ELSE ${nodeRuns.status} END`,
          nextPollAt: checkDelayMs === null ? null : new Date(Date.now() + checkDelayMs),
        })
        .where(eq(nodeRuns.id, row.id))
        .returning({ status: nodeRuns.status });
      if (updated[0]?.status !== 'submitted') return;
      tx.event('node.submitted', node.id, { taskId });
      if (checkDelayMs !== null) tx.job(QUEUES.check, node.id, checkDelayMs);
    });
    row.taskId = taskId;
    row.submitState = 'submitted';
    row.status = 'submitted';
    row.submittedAt = new Date();
  }

  private async journalNoTask(nodeRunId: string): Promise<void> {
    await this.db.update(nodeRuns).set({ submitState: 'none' }).where(eq(nodeRuns.id, nodeRunId));
  }

  /**
   * A POST whose answer was lost. With a list route: adopt the single task of this endpoint
   * that no node run has journaled (created in the submit window when the list says when);
   * several or none → the node fails with ambiguous_submit rather than risk paying twice.
   */
  private async reconcile(ctx: NodeContext, execution: HttpExecution<unknown>, reason: string): Promise<void> {
    const { node, row } = ctx;
    const fail = (detail: string) =>
      this.failNode(ctx, {
        code: 'ambiguous_submit',
        message: `${describeNode(node)}: the submission to Freepik may or may not have created a task (${reason}); ${detail}. It was not re-sent to avoid paying twice.`,
      });
    if (!execution.listPath || execution.service !== 'freepik') return fail('this endpoint has no task list to check');
    let listed: { taskId: string; createdAt?: number }[];
    try {
      const body = await this.deps.client.getJson('freepik', execution.listPath, ctx.log, 'list');
      listed = readTaskList(body);
    } catch (error) {
      return fail(`listing its tasks failed (${(error as Error).message})`);
    }
    const windowStart = (row.startedAt?.getTime() ?? 0) - 5_000;
    const candidates = listed.filter((t) => t.createdAt === undefined || t.createdAt >= windowStart);
    const known = candidates.length
      ? new Set(
          (await this.db.select({ taskId: nodeRuns.taskId }).from(nodeRuns).where(inArray(nodeRuns.taskId, candidates.map((c) => c.taskId)))).map(
            (r) => r.taskId,
          ),
        )
      : new Set<string | null>();
    const unclaimed = candidates.filter((c) => !known.has(c.taskId));
    if (unclaimed.length !== 1) {
      return fail(unclaimed.length ? `${unclaimed.length} unclaimed tasks were found and none can be told apart` : 'no unclaimed task was found');
    }
    ctx.log.warn({ taskId: unclaimed[0]!.taskId }, 'ambiguous submission reconciled from the task list');
    await this.journalTask(ctx, unclaimed[0]!.taskId, 0);
  }

  // ---------------------------------------------------------------------------------------
  // 3. node-check

  async checkNode({ runId, nodeId }: NodeJobData): Promise<void> {
    const ctx = await this.load(runId, nodeId);
    if (!ctx || isTerminalRun(ctx.run.status) || isTerminalNode(ctx.row.status)) return;
    const { row, def } = ctx;
    if (row.submitState !== 'submitted' || !row.taskId || def.execution.kind !== 'http') return;
    const execution = def.execution as HttpExecution<unknown>;
    const elapsed = Date.now() - (row.submittedAt?.getTime() ?? Date.now());
    if (elapsed >= this.config.nodeTimeoutMs) {
      return this.failNode(ctx, {
        code: 'timeout',
        message: `${describeNode(ctx.node)}: Freepik task ${row.taskId} did not finish within ${Math.round(this.config.nodeTimeoutMs / 1000)} s`,
      });
    }
    const remaining = this.config.nodeTimeoutMs - elapsed;
    if (!execution.statusPath) {
      // webhook-only endpoints: nothing to poll; this check only enforces the timeout.
      return this.inRunTx(runId, async (tx) => tx.job(QUEUES.check, nodeId, remaining));
    }
    let task: TaskSnapshot;
    try {
      task = readTask(await this.deps.client.getJson('freepik', execution.statusPath(row.taskId), ctx.log));
    } catch (error) {
      if (!isPikflowError(error)) throw error;
      if (error.code === 'upstream_rejected') return this.failNode(ctx, { code: error.code, message: error.message });
      // Freepik keeps failing: try again later, the node timeout bounds it.
      return this.scheduleCheck(ctx, execution, Math.min(remaining, this.nextCheckDelay(row.pollCount, execution)), undefined);
    }
    if (task.status === 'COMPLETED') return this.completeFromTask(ctx, execution, task, 1);
    if (task.status === 'FAILED') return this.failNode(ctx, taskFailure(task), 1);
    return this.scheduleCheck(ctx, execution, Math.min(remaining, this.nextCheckDelay(row.pollCount + 1, execution)), task.status);
  }

  private async scheduleCheck(ctx: NodeContext, execution: HttpExecution<unknown>, delayMs: number, status: string | undefined): Promise<void> {
    const { row, node } = ctx;
    void execution;
    await this.inRunTx(ctx.run.id, async (tx) => {
      const updated = await tx.db
        .update(nodeRuns)
        .set({ pollCount: sql`${nodeRuns.pollCount} + ${status ? 1 : 0}`, nextPollAt: new Date(Date.now() + delayMs) })
        .where(and(eq(nodeRuns.id, row.id), eq(nodeRuns.status, 'submitted')))
        .returning({ pollCount: nodeRuns.pollCount });
      if (!updated.length) return;
      if (status) tx.event('node.progress', node.id, { status, pollCount: updated[0]!.pollCount });
      tx.job(QUEUES.check, node.id, delayMs);
    });
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
    try {
      for (const port of ctx.def.outputs) {
        const value = extracted[port.name];
        if (value === undefined || value === null) continue;
        outputs[port.name] = await this.rehost(ctx, port.type, value);
      }
    } catch (error) {
      if (!isPikflowError(error)) throw error;
      return this.failNode(ctx, { code: error.code, message: `${describeNode(ctx.node)}: storing the result failed: ${error.message}` }, polled);
    }
    if (ctx.def.outputs.length && Object.keys(outputs).length === 0) {
      return this.failNode(ctx, { code: 'upstream_error', message: `${describeNode(ctx.node)}: the task finished without any result` }, polled);
    }
    await this.completeWithOutputs(ctx, outputs, polled);
  }

  /** Result files are copied into the asset store at once: Freepik's URLs expire. */
  private async rehost(ctx: NodeContext, type: PortType, value: unknown): Promise<unknown> {
    const one = async (v: unknown) => {
      if (typeof v !== 'string') return v;
      const { bytes, contentType } = await this.deps.client.download(v, this.config.maxDownloadBytes, ctx.log);
      return assetRef(await this.deps.assets.putGenerated(bytes, { runId: ctx.run.id, nodeId: ctx.node.id, mime: contentType, filename: lastPathSegment(v) }));
    };
    if (type === 'image' || type === 'video') return one(value);
    if (type === 'image[]') return Promise.all((Array.isArray(value) ? value : [value]).map(one));
    return value;
  }

  private async completeWithOutputs(ctx: NodeContext, outputs: Record<string, unknown>, polled = 0): Promise<void> {
    const { node, row } = ctx;
    await this.inRunTx(ctx.run.id, async (tx) => {
      const updated = await tx.db
        .update(nodeRuns)
        .set({
          status: 'succeeded',
          outputs,
          finishedAt: sql`now()`,
          startedAt: sql`coalesce(${nodeRuns.startedAt}, now())`,
          submitState: sql`CASE WHEN ${nodeRuns.submitState} = 'submitting' THEN 'submitted' ELSE ${nodeRuns.submitState} END`,
          submittedAt: sql`CASE WHEN ${nodeRuns.submitState} = 'submitting' THEN now() ELSE ${nodeRuns.submittedAt} END`,
          pollCount: sql`${nodeRuns.pollCount} + ${polled}`,
          nextPollAt: null,
        })
        .where(and(eq(nodeRuns.id, row.id), inArray(nodeRuns.status, ['pending', 'queued', 'running', 'submitted'])))
        .returning({ id: nodeRuns.id });
      if (!updated.length) return;
      // Local nodes (inputs) start and finish in this one transaction.
      if (row.status === 'queued') tx.event('node.started', node.id);
      tx.event('node.completed', node.id, { outputs });
      await this.advance(tx);
    });
    ctx.log.info('node completed');
  }

  async failNode(ctx: NodeContext, error: ErrorJson, polled = 0): Promise<void> {
    const { node, row } = ctx;
    const full: ErrorJson = { ...error, nodeId: node.id };
    await this.inRunTx(ctx.run.id, async (tx) => {
      const updated = await tx.db
        .update(nodeRuns)
        .set({ status: 'failed', error: full, finishedAt: sql`now()`, pollCount: sql`${nodeRuns.pollCount} + ${polled}`, nextPollAt: null })
        .where(and(eq(nodeRuns.id, row.id), inArray(nodeRuns.status, ['pending', 'queued', 'running', 'submitted'])))
        .returning({ id: nodeRuns.id });
      if (!updated.length) return;
      tx.event('node.failed', node.id, { error: full });
      await this.advance(tx);
    });
    ctx.log.warn({ error: full }, 'node failed');
  }

  private advanceOnly(runId: string): Promise<void> {
    return this.inRunTx(runId, (tx) => this.advance(tx));
  }

  /**
   * Inside a run transaction: skip what can no longer run, complete Output nodes whose value
   * arrived, queue nodes whose inputs are ready, and finish the run when nothing is left.
   */
  private async advance(tx: Tx): Promise<void> {
    // The run row lock serialises advances of one run across workers: two nodes finishing at
    // once cannot both miss the join they feed.
    const locked = await tx.raw.query('SELECT status FROM runs WHERE id = $1 FOR UPDATE', [tx.runId]);
    const status = (locked.rows[0] as { status?: RunStatus } | undefined)?.status;
    if (!status || isTerminalRun(status)) return;
    const { document: doc } = await this.snapshot(tx.runId, tx.db);
    const rows = await tx.db.select().from(nodeRuns).where(eq(nodeRuns.runId, tx.runId)).orderBy(asc(nodeRuns.createdAt));
    const byNode = new Map(rows.map((r) => [r.nodeId, r]));
    if (status === 'queued') {
      await tx.db.update(runs).set({ status: 'running', startedAt: sql`now()` }).where(eq(runs.id, tx.runId));
      tx.event('run.started');
    }
    for (let changed = true; changed; ) {
      changed = false;
      for (const node of doc.nodes) {
        const row = byNode.get(node.id);
        if (!row || row.status !== 'pending') continue;
        const upstream = doc.edges.filter((e) => e.target === node.id).map((e) => byNode.get(e.source)?.status);
        if (upstream.some((s) => s === 'failed' || s === 'skipped' || s === 'cancelled')) {
          await tx.db.update(nodeRuns).set({ status: 'skipped', finishedAt: sql`now()` }).where(eq(nodeRuns.id, row.id));
          row.status = 'skipped';
          tx.event('node.skipped', node.id, { reason: 'an upstream node failed' });
          changed = true;
          continue;
        }
        if (!upstream.every((s) => s === 'succeeded')) continue;
        if (getNode(node.type)?.execution.kind === 'output') {
          // Output nodes only collect a value: done here, no job.
          const outputs = { value: collectInputs(doc, node.id, byNode).value };
          await tx.db.update(nodeRuns).set({ status: 'succeeded', inputs: outputs, outputs, startedAt: sql`now()`, finishedAt: sql`now()` }).where(eq(nodeRuns.id, row.id));
          row.status = 'succeeded';
          row.outputs = outputs;
          tx.event('node.completed', node.id, { outputs });
          changed = true;
          continue;
        }
        await tx.db.update(nodeRuns).set({ status: 'queued' }).where(eq(nodeRuns.id, row.id));
        row.status = 'queued';
        tx.event('node.queued', node.id);
        tx.job(QUEUES.execute, node.id);
      }
    }
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
    await tx.db.update(runs).set({ status, outputs, error, finishedAt: sql`now()` }).where(eq(runs.id, tx.runId));
    tx.event('run.finished', undefined, { status, outputs, ...(error ? { error } : {}) });
  }

  /** Cancels a run: unfinished nodes become 'cancelled'; in-flight tasks stop being waited on. */
  async cancel(runId: string): Promise<void> {
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

  async recover(): Promise<number> {
    if (this.deps.handle.kind === 'pglite') {
      // PGlite belongs to this process alone (lockfile): a submission left 'submitting' belonged to a
      // process that is gone, so its answer is lost for good. Reconcile it now instead of waiting.
      await this.db.update(nodeRuns).set({ submitState: 'ambiguous' }).where(eq(nodeRuns.submitState, 'submitting'));
    }
    const open = await this.db.select({ id: runs.id }).from(runs).where(inArray(runs.status, ['queued', 'running']));
    for (const { id } of open) {
      await this.inRunTx(id, async (tx) => {
        const rows = await tx.db.select().from(nodeRuns).where(eq(nodeRuns.runId, id));
        const now = Date.now();
        for (const row of rows) {
          if (isTerminalNode(row.status) || row.status === 'pending') continue;
          if (row.submitState === 'submitted') {
            // A check job is pending in pg-boss unless the process died while running it (then it is overdue).
            if (!row.nextPollAt || row.nextPollAt.getTime() <= now) tx.job(QUEUES.check, row.nodeId);
          } else {
            tx.job(QUEUES.execute, row.nodeId);
          }
        }
        await this.advance(tx);
      });
    }
    if (open.length) this.log.info({ runs: open.length }, 'recovered unfinished runs');
    return open.length;
  }

  // ---------------------------------------------------------------------------------------
  // Inputs, params and the image hand-off.

  /** Values per input port from upstream outputs, as stored (AssetRef, text, numbers). */
  private gatherInputs(ctx: NodeContext): { portValues: Record<string, unknown>; recorded: Record<string, unknown> } {
    const portValues = collectInputs(ctx.doc, ctx.node.id, ctx.byNode, ctx.def);
    return { portValues, recorded: portValues };
  }

  /** Node params with linked text/number inputs of the same name merged over them. */
  private parseParams(node: PipelineNode, def: NodeDefinition, portValues: Record<string, unknown>): unknown {
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
  // Plumbing: loading, transactions.

  private async load(runId: string, nodeId: string): Promise<NodeContext | null> {
    // One query for the node runs and the run's status; the snapshot comes from the cache.
    const joined = await this.db
      .select({ row: nodeRuns, runStatus: runs.status })
      .from(nodeRuns)
      .innerJoin(runs, eq(runs.id, nodeRuns.runId))
      .where(eq(nodeRuns.runId, runId));
    if (!joined.length) return null;
    const rows = joined.map((j) => j.row);
    const snapshot = await this.snapshot(runId, this.db);
    const run: RunInfo = { id: runId, status: joined[0]!.runStatus, inputs: snapshot.inputs };
    const row = rows.find((r) => r.nodeId === nodeId);
    const doc = snapshot.document;
    const node = doc.nodes.find((n) => n.id === nodeId);
    const def = node ? getNode(node.type) : undefined;
    if (!row || !node || !def) return null;
    const log = this.log.child({ runId, nodeId, ...(row.taskId ? { taskId: row.taskId } : {}) });
    return { run, doc, node, def, row, log, byNode: new Map(rows.map((r) => [r.nodeId, r])) };
  }

  private remember(runId: string, document: PipelineDocument, inputs: Record<string, unknown>) {
    this.snapshots.set(runId, { document, inputs });
    // Bounded: the oldest entries go first (Map keeps insertion order).
    if (this.snapshots.size > 5_000) this.snapshots.delete(this.snapshots.keys().next().value!);
  }

  private async snapshot(runId: string, db: Db): Promise<{ document: PipelineDocument; inputs: Record<string, unknown> }> {
    const cached = this.snapshots.get(runId);
    if (cached) return cached;
    const [row] = await db.select({ document: runs.document, inputs: runs.inputs }).from(runs).where(eq(runs.id, runId));
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
    const jobs: { queue: QueueName; nodeId: string; delayMs: number }[] = [];
    let published: RunEvent[] = [];
    const result = await this.db.transaction(async (dtx) => {
      const raw = (dtx as unknown as { session: { client: RawClient } }).session.client;
      const tx: Tx = {
        db: dtx as unknown as Db,
        raw,
        runId,
        event: (type, nodeId, data) => events.push({ type, nodeId, data }),
        job: (queue, nodeId, delayMs = 0) => jobs.push({ queue, nodeId, delayMs }),
      };
      const value = await fn(tx);
      for (const job of jobs) await this.deps.jobs.send(raw, job.queue, { runId, nodeId: job.nodeId }, job.delayMs);
      if (events.length) published = await this.insertEvents(raw, runId, events);
      return value;
    });
    this.deps.events.publish(runId, published);
    for (const job of jobs) this.deps.jobs.wake(job.queue, job.delayMs);
    return result;
  }

  /** One statement: the event rows, and on PostgreSQL the NOTIFY other processes listen for. */
  private async insertEvents(raw: RawClient, runId: string, events: { type: RunEventType; nodeId?: string; data?: Record<string, unknown> }[]): Promise<RunEvent[]> {
    const values: unknown[] = [runId];
    const tuples = events.map((e) => {
      values.push(e.type, e.nodeId ?? null, e.data === undefined ? null : JSON.stringify(e.data));
      const n = values.length;
      return `($1, $${n - 2}, $${n - 1}, $${n}::jsonb)`;
    });
    const insert = `INSERT INTO run_events (run_id, type, node_id, payload) VALUES ${tuples.join(', ')} RETURNING id, run_id, type, node_id, payload, created_at`;
    const text =
      this.deps.handle.kind === 'postgres'
        ? `WITH ins AS (${insert}), notified AS (SELECT pg_notify('${EVENTS_CHANNEL}', $1 || ':' || (SELECT max(id) FROM ins))) SELECT ins.* FROM ins, notified ORDER BY ins.id`
        : `${insert}`;
    const { rows } = await raw.query(text, values);
    return (rows as { id: number | string; run_id: string; type: string; node_id: string | null; payload: unknown; created_at: Date | string }[])
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

/** Values arriving on each input port: one link → its value; several into a list port → the list. */
function collectInputs(doc: PipelineDocument, nodeId: string, byNode: Map<string, NodeRunRow>, def?: NodeDefinition): Record<string, unknown> {
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

function taskFailure(task: TaskSnapshot): ErrorJson {
  const raw = task.raw as Record<string, unknown> | null;
  const data = raw && typeof raw.data === 'object' ? (raw.data as Record<string, unknown>) : raw;
  const reason = messageOf(data?.error ?? data?.reason ?? data?.message ?? null);
  return { code: 'task_failed', message: `Freepik reported task ${task.taskId ?? ''} FAILED${reason ? `: ${reason}` : ' (no reason given)'}` };
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

function extensionOf(mime: string): string {
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
