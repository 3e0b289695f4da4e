/**
 * Batch runs: many input sets of one pipeline version, each item an ordinary durable run.
 *
 * Admission control: a batch's items live in `batch_items`, not in the queue nor in memory.
 * Every engine process with workers runs an admission loop (every ADMIT_EVERY_MS): for each
 * running batch, under a try-advisory lock per batch, it counts the items whose runs are
 * unfinished and admits at most `max_in_flight` minus that many pending items. Admitting
 * writes the item `started` with a run id chosen then, and only after that commit is the run
 * started with that id: an admission cut short by a crash is finished later with the same id
 * (the runs primary key refuses a second run), so an item never runs twice. A 10,000-item batch
 * therefore has at most `max_in_flight` runs (and their jobs) in the system, and a process
 * holds at most one tick's items.
 *
 * A budget reached while admitting (BUDGET_PER_DAY) pauses the batch with the budget's error;
 * items whose inputs are refused when their run starts are `invalid` with the reason.
 */
import type { Logger } from 'pino';
import { sql } from 'drizzle-orm';
import { PikflowError, isPikflowError } from '@pikflow/catalog';
import type { Db } from '@pikflow/db';
import type { BatchView, CacheMode, PipelineDocument } from '@pikflow/pipeline';
import { onQuotaExhaustedOf, withQuotaChoice } from './limiter.ts';
import { cachePlanOf } from './node-cache.ts';
import type { StartRunRequest } from './types.ts';

/** How often each process looks for batches with room. */
export const ADMIT_EVERY_MS = 250;
/** A `started` item without its run after this long was cut short: it is started again with its run id. */
const RESTART_AFTER_MS = 60_000;
export const DEFAULT_MAX_IN_FLIGHT = 20;
/**
 * An item's status as users see it (over batch_items i, batches b, runs r): its run's once it has
 * one; an item a cancelled batch never started is cancelled too (it will not run).
 */
const ITEM_STATUS = sql.raw(
  `CASE WHEN i.status IN ('started', 'ended') THEN coalesce(r.status, 'queued') WHEN i.status = 'pending' AND b.status = 'cancelled' THEN 'cancelled' ELSE i.status END`,
);

export interface BatchItemInput {
  inputs: Record<string, unknown>;
  /** Names the item's outputs (a file name, URL or row); default `item-<n>`. */
  label?: string;
}

export interface CreateBatchRequest {
  pipelineId?: string;
  pipelineVersionId?: string;
  document: PipelineDocument;
  items: BatchItemInput[];
  maxInFlight?: number;
  /** The result cache mode of every item's run (default 'use'). */
  cacheMode?: CacheMode;
  /** Every item's run: wait for the next day at a used-up daily quota (default), or fail (StartRunRequest.onQuotaExhausted). */
  onQuotaExhausted?: 'wait' | 'fail';
}

interface BatchDeps {
  db: Db;
  log: Logger;
  startRun(request: StartRunRequest): Promise<{ runId: string }>;
  cancelRun(runId: string): Promise<unknown>;
}

const rowsOf = (result: unknown) => (result as { rows: Record<string, unknown>[] }).rows;
const iso = (v: unknown) => (v == null ? undefined : (v instanceof Date ? v : new Date(String(v))).toISOString());

export class BatchAdmission {
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private ticks = 0;
  /** Documents by batch id (they never change). */
  private readonly documents = new Map<string, { document: PipelineDocument; pipelineId?: string; pipelineVersionId?: string }>();

  constructor(private readonly deps: BatchDeps) {}

  start(): void {
    this.timer ??= setInterval(() => {
      if (this.ticking) return;
      this.ticking = this.tick()
        .catch((error) => this.deps.log.warn({ error: String(error) }, 'batch admission failed'))
        .finally(() => {
          this.ticking = undefined;
        });
    }, ADMIT_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /** Records the batch and its items (in chunks); the admission loop starts them. */
  async create(request: CreateBatchRequest): Promise<string> {
    const { db } = this.deps;
    const maxInFlight = Math.max(1, Math.min(request.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, 1_000));
    return db.transaction(async (tx) => {
      const [batch] = rowsOf(
        await tx.execute(sql`
          INSERT INTO batches (pipeline_id, pipeline_version_id, document, total, max_in_flight)
          VALUES (${request.pipelineId ?? null}::uuid, ${request.pipelineVersionId ?? null}::uuid, ${JSON.stringify(withQuotaChoice(request.cacheMode && request.cacheMode !== 'use' ? ({ ...request.document, cache: { mode: request.cacheMode } } as PipelineDocument) : request.document, request.onQuotaExhausted))}::jsonb, ${request.items.length}, ${maxInFlight})
          RETURNING id`),
      );
      const batchId = String(batch!.id);
      for (let start = 0; start < request.items.length; start += 1_000) {
        const chunk = request.items.slice(start, start + 1_000).map((item, i) => ({ idx: start + i, label: item.label ?? `item-${start + i + 1}`, inputs: item.inputs }));
        await tx.execute(sql`
          INSERT INTO batch_items (batch_id, idx, label, inputs)
          SELECT ${batchId}::uuid, r.idx, r.label, r.inputs FROM jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) AS r(idx integer, label text, inputs jsonb)`);
      }
      return batchId;
    });
  }

  async get(batchId: string): Promise<BatchView | null> {
    if (!/^[0-9a-f-]{36}$/i.test(batchId)) return null;
    const { db } = this.deps;
    const [batch] = rowsOf(await db.execute(sql`SELECT * FROM batches WHERE id = ${batchId}::uuid`));
    if (!batch) return null;
    const counts = rowsOf(
      await db.execute(sql`
        SELECT ${ITEM_STATUS} AS status, count(*) AS n
        FROM batch_items i JOIN batches b ON b.id = i.batch_id LEFT JOIN runs r ON r.id = i.run_id WHERE i.batch_id = ${batchId}::uuid GROUP BY 1`),
    );
    const [timing] = rowsOf(
      await db.execute(sql`
        SELECT min(i.started_at) AS first_started, max(r.finished_at) AS last_finished, count(r.finished_at) AS finished
        FROM batch_items i LEFT JOIN runs r ON r.id = i.run_id WHERE i.batch_id = ${batchId}::uuid AND i.status IN ('started', 'ended')`),
    );
    const byStatus: BatchView['counts'] = { pending: 0, queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0, invalid: 0 };
    for (const c of counts) byStatus[c.status as keyof BatchView['counts']] = Number(c.n);
    const finished = Number(timing?.finished ?? 0);
    const firstStarted = timing?.first_started ? new Date(String(iso(timing.first_started))).getTime() : undefined;
    const end = batch.finished_at ? new Date(String(iso(batch.finished_at))).getTime() : Date.now();
    const seconds = firstStarted !== undefined ? Math.max(0.001, (end - firstStarted) / 1000) : undefined;
    const throughput = seconds !== undefined && finished > 0 ? finished / seconds : undefined;
    const remaining = byStatus.pending + byStatus.queued + byStatus.running;
    return {
      id: String(batch.id),
      ...(batch.pipeline_id ? { pipelineId: String(batch.pipeline_id) } : {}),
      status: batch.status as BatchView['status'],
      total: Number(batch.total),
      maxInFlight: Number(batch.max_in_flight),
      counts: byStatus,
      ...(throughput !== undefined ? { itemsPerSecond: Math.round(throughput * 1000) / 1000 } : {}),
      ...(throughput !== undefined && batch.status === 'running' ? { etaSeconds: Math.round(remaining / throughput) } : {}),
      ...(batch.error ? { error: batch.error as BatchView['error'] } : {}),
      createdAt: iso(batch.created_at)!,
      ...(batch.finished_at ? { finishedAt: iso(batch.finished_at) } : {}),
    };
  }

  /** The newest batches, of one pipeline or of all, each as get() gives it. */
  async list(pipelineId: string | undefined, limit: number): Promise<BatchView[]> {
    if (pipelineId !== undefined && !/^[0-9a-f-]{36}$/i.test(pipelineId)) return [];
    const rows = rowsOf(
      await this.deps.db.execute(
        pipelineId
          ? sql`SELECT id FROM batches WHERE pipeline_id = ${pipelineId}::uuid ORDER BY created_at DESC LIMIT ${limit}`
          : sql`SELECT id FROM batches ORDER BY created_at DESC LIMIT ${limit}`,
      ),
    );
    const views: BatchView[] = [];
    for (const { id } of rows) {
      const view = await this.get(String(id));
      if (view) views.push(view);
    }
    return views;
  }

  /** Items page by page (run ids and labels), for listings and the outputs archive. */
  async items(batchId: string, afterIdx = -1, limit = 100): Promise<{ idx: number; label: string; status: string; runId?: string; error?: unknown }[]> {
    const rows = rowsOf(
      await this.deps.db.execute(sql`
        SELECT i.idx, i.label, ${ITEM_STATUS} AS status, i.run_id, coalesce(i.error, r.error) AS error
        FROM batch_items i JOIN batches b ON b.id = i.batch_id LEFT JOIN runs r ON r.id = i.run_id
        WHERE i.batch_id = ${batchId}::uuid AND i.idx > ${afterIdx} ORDER BY i.idx LIMIT ${limit}`),
    );
    return rows.map((r) => ({ idx: Number(r.idx), label: String(r.label), status: String(r.status), ...(r.run_id ? { runId: String(r.run_id) } : {}), ...(r.error ? { error: r.error } : {}) }));
  }

  /** pause (nothing new is admitted; runs in flight finish), resume, cancel (runs in flight are cancelled too). */
  async control(batchId: string, action: 'pause' | 'resume' | 'cancel'): Promise<void> {
    const { db } = this.deps;
    const from = action === 'resume' ? ['paused'] : action === 'pause' ? ['running'] : ['running', 'paused'];
    const to = action === 'resume' ? 'running' : action === 'pause' ? 'paused' : 'cancelled';
    const states = sql.join(from.map((s) => sql`${s}`), sql`, `);
    const updated = rowsOf(
      await db.execute(sql`
        UPDATE batches SET status = ${to}, error = CASE WHEN ${to} = 'running' THEN NULL ELSE error END,
          finished_at = CASE WHEN ${to} = 'cancelled' THEN now() ELSE finished_at END
        WHERE id = ${batchId}::uuid AND status IN (${states}) RETURNING id`),
    );
    if (!updated.length) {
      const view = await this.get(batchId);
      if (!view) throw new PikflowError('not_found', `Batch ${batchId} does not exist`, { field: 'id' });
      if (view.status === to) return;
      throw new PikflowError('conflict', `Batch ${batchId} is ${view.status}: it cannot ${action}`);
    }
    if (action !== 'cancel') return;
    // Wait for an admission in progress to write its items, then cancel every unfinished run.
    for (;;) {
      const open = rowsOf(
        await db.execute(sql`
          SELECT i.run_id FROM batch_items i JOIN runs r ON r.id = i.run_id
          WHERE i.batch_id = ${batchId}::uuid AND i.status = 'started' AND r.status IN ('queued', 'running') LIMIT 200`),
      );
      if (!open.length) break;
      for (const row of open) await this.deps.cancelRun(String(row.run_id)).catch(() => {});
    }
  }

  /**
   * Items whose runs failed or were cancelled go back to pending (each will get a new run; the
   * old one stays in the history) and the batch admits again. Returns how many.
   */
  async retryFailed(batchId: string): Promise<number> {
    const { db } = this.deps;
    return db.transaction(async (tx) => {
      const [batch] = rowsOf(await tx.execute(sql`SELECT status FROM batches WHERE id = ${batchId}::uuid FOR UPDATE`));
      if (!batch) throw new PikflowError('not_found', `Batch ${batchId} does not exist`, { field: 'id' });
      const reset = rowsOf(
        await tx.execute(sql`
          UPDATE batch_items i SET status = 'pending', run_id = NULL, started_at = NULL, error = NULL
          FROM runs r WHERE i.batch_id = ${batchId}::uuid AND i.status IN ('started', 'ended') AND r.id = i.run_id AND r.status IN ('failed', 'cancelled')
          RETURNING i.idx`),
      );
      if (reset.length) await tx.execute(sql`UPDATE batches SET status = 'running', error = NULL, finished_at = NULL WHERE id = ${batchId}::uuid`);
      return reset.length;
    });
  }

  /** One pass of the admission loop over running batches. */
  async tick(): Promise<void> {
    const { db } = this.deps;
    this.ticks++;
    const running = rowsOf(await db.execute(sql`SELECT id FROM batches WHERE status = 'running' ORDER BY created_at LIMIT 50`));
    for (const { id } of running) await this.admit(String(id));
  }

  private async snapshot(batchId: string) {
    let cached = this.documents.get(batchId);
    if (!cached) {
      const [row] = rowsOf(await this.deps.db.execute(sql`SELECT document, pipeline_id, pipeline_version_id FROM batches WHERE id = ${batchId}::uuid`));
      cached = {
        document: row!.document as PipelineDocument,
        ...(row!.pipeline_id ? { pipelineId: String(row!.pipeline_id) } : {}),
        ...(row!.pipeline_version_id ? { pipelineVersionId: String(row!.pipeline_version_id) } : {}),
      };
      if (this.documents.size > 1_000) this.documents.clear();
      this.documents.set(batchId, cached);
    }
    return cached;
  }

  private async admit(batchId: string): Promise<void> {
    const { db, log } = this.deps;
    const admitted = await db.transaction(async (tx) => {
      const [lock] = rowsOf(await tx.execute(sql`SELECT pg_try_advisory_xact_lock(hashtext(${`pikflow:batch:${batchId}`})) AS ok`));
      if (!lock?.ok) return null; // another process is admitting this batch right now
      // Items whose runs have ended leave 'started', so counting what is in flight reads only the
      // few started items (index batch_items_status), not every item the batch ever ran.
      await tx.execute(sql`
        UPDATE batch_items i SET status = 'ended' FROM runs r
        WHERE i.batch_id = ${batchId}::uuid AND i.status = 'started' AND r.id = i.run_id AND r.status NOT IN ('queued', 'running')`);
      return rowsOf(
        await tx.execute(sql`
          WITH b AS (SELECT max_in_flight FROM batches WHERE id = ${batchId}::uuid AND status = 'running'),
          inflight AS (
            SELECT count(*) AS n FROM batch_items i LEFT JOIN runs r ON r.id = i.run_id
            WHERE i.batch_id = ${batchId}::uuid AND i.status = 'started' AND (r.id IS NULL OR r.status IN ('queued', 'running'))
          )
          UPDATE batch_items SET status = 'started', run_id = gen_random_uuid(), started_at = now()
          WHERE batch_id = ${batchId}::uuid AND idx IN (
            SELECT idx FROM batch_items WHERE batch_id = ${batchId}::uuid AND status = 'pending' ORDER BY idx
            LIMIT greatest(0, coalesce((SELECT max_in_flight FROM b), 0) - (SELECT n FROM inflight))
          )
          RETURNING idx, run_id, inputs`),
      );
    });
    if (admitted === null) return;
    // Admissions cut short (a crash between the item's commit and its run's): finish them now.
    if (this.ticks % 20 === 0) {
      admitted.push(
        ...rowsOf(
          await db.execute(sql`
            SELECT idx, run_id, inputs FROM batch_items i WHERE batch_id = ${batchId}::uuid AND status = 'started'
              AND started_at < now() - ${RESTART_AFTER_MS}::int * interval '1 millisecond' AND NOT EXISTS (SELECT 1 FROM runs WHERE id = i.run_id) LIMIT 100`),
        ),
      );
    }
    if (!admitted.length) {
      await db.execute(sql`
        UPDATE batches b SET status = 'completed', finished_at = now() WHERE id = ${batchId}::uuid AND status = 'running'
          AND NOT EXISTS (SELECT 1 FROM batch_items i LEFT JOIN runs r ON r.id = i.run_id WHERE i.batch_id = b.id
            AND (i.status = 'pending' OR (i.status = 'started' AND (r.id IS NULL OR r.status IN ('queued', 'running')))))`);
      return;
    }
    const { document, pipelineId, pipelineVersionId } = await this.snapshot(batchId);
    for (const item of admitted.sort((a, b) => Number(a.idx) - Number(b.idx))) {
      const runId = String(item.run_id);
      try {
        // The batch's cache mode rides in its stored document (startRun takes it as a run option).
        const mode = cachePlanOf(document).mode;
        const onQuotaExhausted = onQuotaExhaustedOf(document);
        await this.deps.startRun({ document, inputs: item.inputs as Record<string, unknown>, runId, onQuotaExhausted, ...(mode ? { cache: { mode } } : {}), ...(pipelineId ? { pipelineId } : {}), ...(pipelineVersionId ? { pipelineVersionId } : {}) });
      } catch (error) {
        if (!isPikflowError(error)) {
          // Infrastructure (or a run that exists after all): the item keeps its run id and is looked at again later.
          log.warn({ batchId, idx: item.idx, error: String(error) }, 'batch item not started; retried later');
          continue;
        }
        if (error.code === 'budget_exceeded') {
          // The daily budget is reached: this and the rest of the tick's items wait, and the batch pauses saying why.
          const rest = admitted.filter((a) => Number(a.idx) >= Number(item.idx)).map((a) => Number(a.idx));
          await db.execute(sql`
            UPDATE batch_items SET status = 'pending', run_id = NULL, started_at = NULL
            WHERE batch_id = ${batchId}::uuid AND idx IN (${sql.join(rest.map((i) => sql`${i}`), sql`, `)}) AND NOT EXISTS (SELECT 1 FROM runs WHERE id = batch_items.run_id)`);
          await db.execute(sql`UPDATE batches SET status = 'paused', error = ${JSON.stringify({ code: error.code, message: error.message })}::jsonb WHERE id = ${batchId}::uuid AND status = 'running'`);
          log.info({ batchId, reason: error.message }, 'batch paused by a budget');
          return;
        }
        await db.execute(sql`
          UPDATE batch_items SET status = 'invalid', error = ${JSON.stringify({ code: error.code, message: error.message })}::jsonb
          WHERE batch_id = ${batchId}::uuid AND idx = ${Number(item.idx)}`);
      }
    }
  }
}
