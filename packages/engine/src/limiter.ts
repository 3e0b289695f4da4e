/**
 * The quota limiter and the usage ledger: Freepik's limits (quota-table.ts) enforced for the
 * API key across every worker process, with the state in the database.
 *
 * A node run claims the right to submit before its POST. The claim runs in one transaction
 * under a transaction-level advisory lock (one per service, or one for all when the per-key
 * windows apply, since they span services), so two workers can never both take the last
 * unit of any limit; the lock is released at commit. Read after the lock with
 * clock_timestamp() (READ COMMITTED takes a new snapshot per statement), the claim sees every
 * claim committed before it:
 * - concurrent tasks: the service's node runs that are `running` or `submitted` (a claim marks
 *   its row `running`; the executor's submission compare-and-set accepts `queued` or `running`;
 *   a finished, failed, skipped or cancelled node frees its slot by being so);
 * - requests per day (UTC) and per window: the ledger's submission rows, which the claim
 *   writes itself before the POST;
 * - Retry-After: a 429 blocks its service in `quota_state` until then.
 * A node that may not submit now gets a `quota_waits` row (its `waiting_for_quota` state, with
 * the reason and when it expects to go) and its execute job again at that time; it never fails
 * for a limit, and never sends a POST Freepik would refuse. A claim survives a crash with its
 * row (recovery re-sends the node's execute job, which finds its row `running`: its own claim).
 *
 * All workers of a deployment use one API key (see the README: a dedicated key), so the
 * requests in this database are the key's requests.
 *
 * Services with nothing to enforce (plan `none`, no override, no concurrency) skip the claim
 * (unless a daily budget is set: then every submission is claimed, so every worker counts it):
 * their rows are buffered and written once a second, so the ledger costs them no round trip.
 * A 429 for such a service still blocks it (read back from `quota_state` at most once a second).
 */
import type { Logger } from 'pino';
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '@pikflow/db';
import type { PipelineDocument } from '@pikflow/pipeline';
import type { RequestTag } from './freepik-client.ts';
import { QuotaPolicy, serviceOf, type ServiceLimits } from './quota-table.ts';

/** How long a node that found no free concurrency slot waits before it asks again (nobody knows when a task ends). */
export const CONCURRENCY_RETRY_MS = 5_000;
/**
 * Windows are counted this much longer than documented: the claim is timed here, Freepik times
 * the request's arrival a moment later, and that moment varies from request to request.
 */
const WINDOW_MARGIN_MS = 200;
/** Buffered ledger rows are written at least this often. */
const FLUSH_MS = 1_000;
/** How stale this process's view of Retry-After blocks of unclaimed services may be. */
const BLOCKS_TTL_MS = 1_000;

export type WaitReason = 'concurrent' | 'per_second' | 'daily' | 'retry_after';

/** What a node meeting a used-up daily quota does: wait for the next UTC day (default), or fail saying so. */
export type OnQuotaExhausted = 'wait' | 'fail';

/** The run's choice, kept in its snapshot (`document.quota`) so every worker sees it. */
export function onQuotaExhaustedOf(doc: PipelineDocument): OnQuotaExhausted {
  return (doc as PipelineDocument & { quota?: { onExhausted?: OnQuotaExhausted } }).quota?.onExhausted === 'fail' ? 'fail' : 'wait';
}

/** The snapshot with the run's choice (nothing is added for the default). */
export function withQuotaChoice(doc: PipelineDocument, onExhausted: OnQuotaExhausted | undefined): PipelineDocument {
  return onExhausted === 'fail' ? ({ ...doc, quota: { onExhausted } } as PipelineDocument) : doc;
}

export interface QuotaWait {
  kind: 'wait';
  service: string;
  reason: WaitReason;
  /** When the node expects to go. */
  until: Date;
  /** When to try again (ms from now): `until` plus a spread, so waiters do not all come back at once. */
  delayMs: number;
  /** The node was not waiting for this reason before (its `node.waiting` event is new information). */
  changed: boolean;
  /** For a daily wait: the service's requests per day. */
  limit?: number;
}

export type Admission = { kind: 'admitted'; ledgerId?: number } | QuotaWait | { kind: 'unavailable'; service: string; message: string };

type LedgerRow = { service: string; endpoint: string; kind: 'submit' | 'status' | 'list'; run_id: string | null; node_run_id: string | null; status: number | null; at: string };

const rowsOf = (result: unknown) => (result as { rows: Record<string, unknown>[] }).rows;
const ms = (value: number) => sql`(${Math.round(value)}::int * interval '1 millisecond')`;
const toDate = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));

export class QuotaLimiter {
  private buffer: LedgerRow[] = [];
  private statuses = new Map<number, number>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private blocks = new Map<string, number>();
  private blocksReadAt = 0;

  constructor(
    private readonly db: Db,
    readonly policy: QuotaPolicy,
    private readonly log: Logger,
    /** Claim every submission, so its ledger row is written before the POST (a daily budget counts them across workers). */
    private readonly claimAll = false,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch((error) => this.log.warn({ error: String(error) }, 'usage ledger flush failed')), FLUSH_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** May this node run submit now? Writes its ledger row (admitted) or its wait (not yet). */
  async admit(req: { nodeRunId: string; runId: string; nodeType: string }): Promise<Admission> {
    const service = serviceOf(req.nodeType);
    const limits = this.policy.limits(service);
    if (limits.perDay === null) {
      return { kind: 'unavailable', service, message: `${service} is not available on the Freepik ${this.policy.plan} plan (its rate-limit table says N/A)` };
    }
    if (!this.claimAll && !this.policy.enforced(limits)) {
      const blocked = await this.blockedUntil(service);
      if (blocked <= Date.now()) {
        // This process saw a block of the service: the node may have waited for it.
        if (blocked) await this.clearWait(req.nodeRunId);
        return { kind: 'admitted' };
      }
      return this.recordWait(req, service, 'retry_after', new Date(blocked), blocked - Date.now(), 1_000);
    }
    return this.db.transaction(async (tx) => {
      const lockKey = this.policy.keyWindows.length ? 'pikflow:quota' : `pikflow:quota:${service}`;
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`);
      const state = rowsOf(await tx.execute(this.stateQuery(req.nodeRunId, limits)))[0]!;
      const now = toDate(state.now).getTime();
      const self = state.self as string | null;
      // A row already `running` holds its claim (a re-sent job after a crash); any other status
      // belongs to someone else or is finished, and the submission compare-and-set will say so.
      if (self !== 'queued') return { kind: 'admitted' } as Admission;
      let wait: { reason: WaitReason; until: number; spreadMs: number; limit?: number } | undefined;
      if (state.blocked) wait = { reason: 'retry_after', until: toDate(state.blocked).getTime(), spreadMs: 1_000 };
      else if (limits.concurrent !== undefined && Number(state.in_flight) >= limits.concurrent) wait = { reason: 'concurrent', until: now + CONCURRENCY_RETRY_MS, spreadMs: CONCURRENCY_RETRY_MS };
      else if (limits.perDay != null && Number(state.today) >= limits.perDay) wait = { reason: 'daily', until: toDate(state.tomorrow).getTime(), spreadMs: 60_000, limit: limits.perDay };
      else {
        const windows = [...limits.windows, ...this.policy.keyWindows];
        const frees = windows.map((w, i) => ({ at: state[`w${i}`] ? toDate(state[`w${i}`]).getTime() : 0, w }));
        const full = frees.filter((f) => f.at > now);
        if (full.length) {
          const latest = full.reduce((a, b) => (b.at > a.at ? b : a));
          wait = { reason: 'per_second', until: latest.at, spreadMs: latest.w.windowMs };
        }
      }
      if (wait) {
        const upsert = rowsOf(
          await tx.execute(sql`
            INSERT INTO quota_waits (node_run_id, run_id, service, reason, until) VALUES (${req.nodeRunId}, ${req.runId}, ${service}, ${wait.reason}, ${new Date(wait.until).toISOString()}::timestamptz)
            ON CONFLICT (node_run_id) DO UPDATE SET service = excluded.service, reason = excluded.reason, until = excluded.until, tries = quota_waits.tries + 1
            RETURNING tries`),
        )[0]!;
        const tries = Number(upsert.tries);
        return {
          kind: 'wait',
          service,
          reason: wait.reason,
          until: new Date(wait.until),
          // Those who waited longest spread widest: a crowd behind a 5/s window does not all come back each second.
          delayMs: Math.max(0, wait.until - now) + Math.random() * wait.spreadMs * Math.min(8, tries),
          changed: state.waiting !== wait.reason,
          ...(wait.limit !== undefined ? { limit: wait.limit } : {}),
        } as Admission;
      }
      const inserted = rowsOf(
        await tx.execute(sql`
          WITH l AS (
            INSERT INTO freepik_requests (service, endpoint, kind, run_id, node_run_id, at)
            VALUES (${service}, ${req.nodeType}, 'submit', ${req.runId}, ${req.nodeRunId}, clock_timestamp()) RETURNING id
          ), n AS (UPDATE node_runs SET status = 'running' WHERE id = ${req.nodeRunId} AND status = 'queued'),
          w AS (DELETE FROM quota_waits WHERE node_run_id = ${req.nodeRunId})
          SELECT id FROM l`),
      )[0]!;
      return { kind: 'admitted', ledgerId: Number(inserted.id) } as Admission;
    });
  }

  /** Everything the claim decides on, read in one statement after the lock. */
  private stateQuery(nodeRunId: string, limits: ServiceLimits): SQL {
    const submits = sql`FROM freepik_requests WHERE kind = 'submit'`;
    const today = sql`(date_trunc('day', clock_timestamp() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`;
    const parts: SQL[] = [
      sql`clock_timestamp() AS now`,
      sql`(SELECT status FROM node_runs WHERE id = ${nodeRunId}) AS self`,
      sql`(SELECT reason FROM quota_waits WHERE node_run_id = ${nodeRunId}) AS waiting`,
      sql`(SELECT blocked_until FROM quota_state WHERE service = ${limits.service} AND blocked_until > clock_timestamp()) AS blocked`,
      sql`${today} + interval '1 day' AS tomorrow`,
    ];
    if (limits.concurrent !== undefined) {
      const types = sql.join(limits.nodeTypes.map((t) => sql`${t}`), sql`, `);
      parts.push(sql`(SELECT count(*) FROM node_runs WHERE node_type IN (${types}) AND status IN ('running', 'submitted')) AS in_flight`);
    }
    if (limits.perDay !== undefined && limits.perDay !== null) {
      parts.push(sql`(SELECT count(*) ${submits} AND service = ${limits.service} AND at >= ${today} AND status IS DISTINCT FROM 429) AS today`);
    }
    // Per window: when the oldest of the last `limit` submissions leaves it (a future time = full).
    const windows = [...limits.windows.map((w) => ({ w, own: true })), ...this.policy.keyWindows.map((w) => ({ w, own: false }))];
    windows.forEach(({ w, own }, i) => {
      const scope = own ? sql` AND service = ${limits.service}` : sql``;
      const span = w.windowMs + WINDOW_MARGIN_MS;
      parts.push(
        sql`(SELECT at + ${ms(span)} ${submits}${scope} AND at > clock_timestamp() - ${ms(span)} ORDER BY at DESC OFFSET ${w.limit - 1} LIMIT 1) AS ${sql.raw(`w${i}`)}`,
      );
    });
    return sql`SELECT ${sql.join(parts, sql`, `)}`;
  }

  /**
   * Freepik answered a submission 429: the service is blocked until Retry-After for every
   * worker, the node is back to `queued` (no task exists) and waits, and a claimed request's
   * ledger row is marked refused (not counted against the day; the client's onRequest records
   * an unclaimed one with its 429).
   */
  async rateLimited(req: { nodeRunId: string; runId: string; nodeType: string; ledgerId?: number; retryAfterMs: number }): Promise<QuotaWait> {
    const service = serviceOf(req.nodeType);
    const ledger = req.ledgerId !== undefined ? sql`, l AS (UPDATE freepik_requests SET status = 429 WHERE id = ${req.ledgerId})` : sql``;
    const [row] = rowsOf(
      await this.db.execute(sql`
        WITH s AS (
          INSERT INTO quota_state (service, blocked_until, updated_at) VALUES (${service}, clock_timestamp() + ${ms(req.retryAfterMs)}, now())
          ON CONFLICT (service) DO UPDATE SET blocked_until = GREATEST(quota_state.blocked_until, excluded.blocked_until), updated_at = now()
          RETURNING blocked_until
        ), n AS (
          -- A 429 proves no task exists: the attempt does not count (as when the client retried it in place).
          UPDATE node_runs SET status = 'queued', submit_state = 'none', attempt = greatest(attempt - 1, 0) WHERE id = ${req.nodeRunId} AND submit_state = 'submitting'
        ), prev AS (SELECT reason FROM quota_waits WHERE node_run_id = ${req.nodeRunId}),
        w AS (
          INSERT INTO quota_waits (node_run_id, run_id, service, reason, until) SELECT ${req.nodeRunId}, ${req.runId}, ${service}, 'retry_after', blocked_until FROM s
          ON CONFLICT (node_run_id) DO UPDATE SET reason = excluded.reason, until = excluded.until, tries = quota_waits.tries + 1
        )${ledger}
        SELECT (SELECT blocked_until FROM s) AS until, clock_timestamp() AS now, (SELECT reason FROM prev) AS previous`),
    );
    const until = toDate(row!.until);
    this.blocks.set(service, until.getTime());
    return {
      kind: 'wait',
      service,
      reason: 'retry_after',
      until,
      delayMs: Math.max(0, until.getTime() - toDate(row!.now).getTime()) + Math.random() * 1_000,
      changed: row!.previous !== 'retry_after',
    };
  }

  /** A wait of an unclaimed service (a Retry-After block seen by this process). */
  private async recordWait(req: { nodeRunId: string; runId: string }, service: string, reason: WaitReason, until: Date, delayMs: number, spreadMs: number): Promise<QuotaWait> {
    const [row] = rowsOf(
      await this.db.execute(sql`
        WITH prev AS (SELECT reason FROM quota_waits WHERE node_run_id = ${req.nodeRunId}),
        w AS (
          INSERT INTO quota_waits (node_run_id, run_id, service, reason, until) VALUES (${req.nodeRunId}, ${req.runId}, ${service}, ${reason}, ${until.toISOString()}::timestamptz)
          ON CONFLICT (node_run_id) DO UPDATE SET reason = excluded.reason, until = excluded.until, tries = quota_waits.tries + 1
        )
        SELECT (SELECT reason FROM prev) AS previous`),
    );
    return { kind: 'wait', service, reason, until, delayMs: delayMs + Math.random() * spreadMs, changed: row?.previous !== reason };
  }

  /** The node got going without a claim (an unclaimed service): its wait, if any, is over. */
  async clearWait(nodeRunId: string): Promise<void> {
    await this.db.execute(sql`DELETE FROM quota_waits WHERE node_run_id = ${nodeRunId}`);
  }

  private async blockedUntil(service: string): Promise<number> {
    if (Date.now() - this.blocksReadAt > BLOCKS_TTL_MS) {
      this.blocksReadAt = Date.now();
      const rows = rowsOf(await this.db.execute(sql`SELECT service, blocked_until FROM quota_state WHERE blocked_until > clock_timestamp()`));
      this.blocks = new Map(rows.map((r) => [String(r.service), toDate(r.blocked_until).getTime()]));
    }
    return this.blocks.get(service) ?? 0;
  }

  /**
   * One Freepik request went out (the client calls this for every attempt). A claimed
   * submission's row exists: its answer's status is noted; anything else becomes a new row.
   * Both are written by the next flush.
   */
  record(kind: 'submit' | 'status' | 'list', tag: RequestTag, status: number | undefined, attempt = 1): void {
    if (kind === 'submit' && tag.ledgerId !== undefined && attempt === 1) {
      if (status !== undefined) this.statuses.set(tag.ledgerId, status);
      return;
    }
    this.buffer.push({
      service: serviceOf(tag.nodeType),
      endpoint: tag.nodeType,
      kind,
      run_id: tag.runId ?? null,
      node_run_id: tag.nodeRunId ?? null,
      status: status ?? null,
      at: new Date().toISOString(),
    });
    if (this.buffer.length >= 500) void this.flush().catch((error) => this.log.warn({ error: String(error) }, 'usage ledger flush failed'));
  }

  /** Writes the buffered ledger rows and statuses (one statement each). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.buffer.length && !this.statuses.size) return;
    const rows = this.buffer;
    const statuses = [...this.statuses].map(([id, status]) => ({ id, status }));
    this.buffer = [];
    this.statuses = new Map();
    this.flushing = (async () => {
      if (rows.length) {
        await this.db.execute(sql`
          INSERT INTO freepik_requests (service, endpoint, kind, run_id, node_run_id, status, at)
          SELECT r.service, r.endpoint, r.kind, r.run_id, r.node_run_id, r.status, r.at
          FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(service text, endpoint text, kind text, run_id uuid, node_run_id uuid, status integer, at timestamptz)`);
      }
      if (statuses.length) {
        await this.db.execute(sql`
          UPDATE freepik_requests f SET status = v.status
          FROM jsonb_to_recordset(${JSON.stringify(statuses)}::jsonb) AS v(id bigint, status integer) WHERE f.id = v.id`);
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }
}
