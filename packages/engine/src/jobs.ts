/**
 * pg-boss set-up: the job engine of the executor. Over PGlite it runs in-process
 * through pg-boss's `fromPglite` adapter; on PostgreSQL it opens its own pool and
 * uses LISTEN/NOTIFY so any number of worker processes share the queues.
 *
 * Jobs are inserted inside the executor's transactions (`send(..., { tx })`), so a
 * state change and the work it implies commit together. After commit the sender
 * wakes its local workers (pg-boss `notifyWorker`) and, for delayed jobs, sets a
 * timer to wake them when the job comes due: pg-boss's polling remains the
 * safety net (and what other processes rely on) but a run does not wait for it.
 */
import { randomUUID } from 'node:crypto';
import { PgBoss, fromPglite, type Db as BossDb, type Job } from 'pg-boss';
import type { Logger } from 'pino';
import type { DbHandle } from '@pikflow/db';

export const QUEUES = {
  /** Run one node: local nodes directly, HTTP nodes up to their submission. */
  execute: 'pikflow-node-execute',
  /** One status check of a submitted task. */
  check: 'pikflow-node-check',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface NodeJobData {
  runId: string;
  nodeId: string;
}

/** A transaction's raw client: pg's PoolClient or PGlite's Transaction (both `query(text, values) → {rows}`). */
export interface RawClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /**
   * A write whose result the caller does not need, sent with the transaction's last statement
   * and COMMIT instead of costing a round trip of its own (see batchedTransaction).
   */
  defer?(text: string, values: unknown[]): void;
}

/** A job sent by the recovery sweep: at most one per key (and queue) per `seconds` slot. */
export interface SingletonJob {
  key: string;
  seconds: number;
}

/**
 * The node runs whose work is in hand, from pg-boss's own table: one row per queue and node with
 * - a waiting job (until 5 s past due: another process's delayed job may wait for pg-boss's polling
 *   floor, 30 s with LISTEN/NOTIFY, while a fresh one here is woken at once), or
 * - an active job a living process holds. pg-boss does not record who fetched a job, so each process
 *   lists the jobs it holds with its heartbeat (engine_processes.held_jobs); a job fetched after a
 *   process's last beat is not listed yet, so an active job started within a second of some living
 *   process's beat counts as held too. What is left (no living process has it) is a dead process's,
 *   however young; `ownHeld` is this process's own list, exact.
 * `allActiveOrphaned`: every active job not in `ownHeld` is lost (a PGlite start: the single owner is
 * new). A duplicate check or execute is harmless. Read once per sweep (a hash join, not a scan per node run).
 * `alive(p)` is the liveness test of an engine_processes row (liveness.ts).
 */
export function liveJobsSql(o: { ownHeld: readonly string[]; alive: (p: string) => string; allActiveOrphaned?: boolean }): string {
  const own = o.ownHeld.length ? `j.id IN (${o.ownHeld.map((id) => `'${id.replace(/'/g, "''")}'::uuid`).join(', ')})` : 'false';
  const heldElsewhere = o.allActiveOrphaned
    ? 'false'
    : `EXISTS (SELECT 1 FROM engine_processes p WHERE ${o.alive('p')}
        AND (j.id = ANY(p.held_jobs) OR j.started_on > p.heartbeat_at - interval '${HELD_LIST_LAG_MS / 1000} seconds'))`;
  return `SELECT DISTINCT j.name, j.data->>'runId' AS run_id, j.data->>'nodeId' AS node_id FROM pgboss.job j
    WHERE j.name IN (${Object.values(QUEUES).map((q) => `'${q}'`).join(', ')})
      AND ((j.state IN ('created', 'retry') AND j.start_after > now() - interval '5 seconds') OR (j.state = 'active' AND (${own} OR ${heldElsewhere})))`;
}

/**
 * How far a job's start may precede the heartbeat that first lists it: the fetch's commit, its
 * answer's trip back and the handler's start, all in one process. Generous: too long only delays a takeover.
 */
const HELD_LIST_LAG_MS = 1_000;
/**
 * A job stays listed this long after its handler returned: pg-boss marks it completed only then, and
 * an active job nobody lists would be taken for lost.
 */
const HELD_AFTER_HANDLER_MS = 3_000;

export interface WorkerOptions {
  batchSize: number;
  /** Fetch loops per queue in this process. */
  concurrency: number;
  pollingIntervalSeconds: number;
}

export class JobQueue {
  readonly boss: PgBoss;
  private readonly workerIds = new Map<QueueName, string[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Jobs this process's handlers hold (by id, with how many deliveries of it are in hand). */
  private readonly held = new Map<string, number>();
  private started = false;

  constructor(
    private readonly handle: DbHandle,
    private readonly logger: Logger,
  ) {
    const common = { schedule: false, supervise: true, migrate: true } as const;
    this.boss =
      handle.kind === 'pglite'
        ? new PgBoss({ ...common, db: fromPglite(handle.pglite! as never), backend: 'pglite' })
        : new PgBoss({ ...common, connectionString: handle.databaseUrl!, max: 4, useListenNotify: true });
    this.boss.on('error', (error: Error) => this.logger.error({ err: error.message }, 'pg-boss error'));
    this.boss.on('warning', (warning: { message?: string }) => this.logger.debug({ warning: warning.message }, 'pg-boss warning'));
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.boss.start();
    const notify = this.handle.kind === 'postgres';
    // The journal makes duplicate deliveries harmless, so retries only cover infrastructure failures.
    const retry = { retryLimit: 5, retryDelay: 2, retryBackoff: true, retryDelayMax: 60 } as const;
    await this.ensureQueue(QUEUES.execute, { ...retry, expireInSeconds: 300, notify });
    await this.ensureQueue(QUEUES.check, { ...retry, expireInSeconds: 120, notify });
    this.started = true;
  }

  private async ensureQueue(name: QueueName, options: Record<string, unknown>): Promise<void> {
    try {
      await this.boss.createQueue(name, options);
    } catch (error) {
      // Another process created it first.
      if (!(await this.boss.getQueue(name))) throw error;
    }
  }

  async work(
    queue: QueueName,
    options: WorkerOptions,
    handler: (data: NodeJobData, job: Job<NodeJobData>) => Promise<void>,
  ): Promise<void> {
    const ids: string[] = [];
    for (let i = 0; i < options.concurrency; i++) {
      const id = await this.boss.work<NodeJobData>(
        queue,
        { batchSize: options.batchSize, pollingIntervalSeconds: options.pollingIntervalSeconds, burstWhenBatchFull: options.batchSize > 1 },
        async (jobs) => {
          // Jobs of a batch are independent nodes; run them side by side. A thrown error fails
          // only this batch (pg-boss retries it); node-level failures never throw.
          for (const job of jobs) this.held.set(job.id, (this.held.get(job.id) ?? 0) + 1);
          const results = await Promise.allSettled(jobs.map((job) => handler(job.data, job))).finally(() => this.releaseLater(jobs.map((j) => j.id)));
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) {
            // pg-boss only records it on the job: say so, or a retried job is silent.
            const reason = failed.reason as Error;
            this.logger.warn({ queue, err: reason?.message ?? String(reason), ...jobs[results.indexOf(failed)]?.data }, 'job failed; pg-boss retries it');
            throw reason;
          }
        },
      );
      ids.push(id);
    }
    this.workerIds.set(queue, ids);
  }

  /** The ids of the jobs this process holds now: listed with each heartbeat (see liveJobsSql). */
  heldJobIds(): string[] {
    return [...this.held.keys()];
  }

  private releaseLater(ids: string[]): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      for (const id of ids) {
        const left = (this.held.get(id) ?? 1) - 1;
        if (left > 0) this.held.set(id, left);
        else this.held.delete(id);
      }
    }, HELD_AFTER_HANDLER_MS);
    timer.unref();
    this.timers.add(timer);
  }

  /**
   * Inserts a job inside the caller's transaction. Call `wake` after the commit. When the
   * transaction can defer writes, pg-boss's own insert statement travels with its COMMIT: the
   * job id is chosen here, so pg-boss needs nothing back from it.
   */
  async send(tx: RawClient, queue: QueueName, data: NodeJobData, delayMs = 0, singleton?: SingletonJob): Promise<void> {
    const id = randomUUID();
    const defer = tx.defer?.bind(tx);
    const db: BossDb = defer
      ? {
          executeSql: async (text, values) => {
            defer(text, values ?? []);
            return { rows: [{ id }] };
          },
        }
      : { executeSql: (text, values) => tx.query(text, values) as Promise<{ rows: any[] }> };
    await this.boss.send(queue, data, {
      db,
      id,
      ...(delayMs > 0 ? { startAfter: new Date(Date.now() + delayMs) } : {}),
      // pg-boss keeps one job per key and time slot (ON CONFLICT DO NOTHING): sweeps of several processes send it once.
      ...(singleton ? { singletonKey: singleton.key, singletonSeconds: singleton.seconds } : {}),
    });
  }

  /** Wakes this process's workers of `queue` now or when a delayed job comes due. */
  wake(queue: QueueName, delayMs = 0): void {
    const ids = this.workerIds.get(queue);
    if (!ids?.length) return;
    const poke = () => {
      for (const id of ids) this.boss.notifyWorker(id);
    };
    if (delayMs <= 0) return poke();
    // pg-boss compares startAfter with the database clock: wake a hair later than due.
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      poke();
    }, delayMs + 15);
    timer.unref();
    this.timers.add(timer);
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, timeout: 5_000, close: this.handle.kind === 'postgres' } as never);
  }
}
