/**
 * What Freepik requests cost: the usage view (the ledger's counts per day and service against
 * the plan's limits), the estimate of a run or batch before anything is spent, and the budgets
 * that refuse a run which would exceed one — all from the same quota table (quota-table.ts).
 *
 * The estimate counts submissions (requests that create a task): one per Freepik node per run,
 * which is what the daily quotas and prices count. Status reads are not in it (their number
 * depends on how long tasks take); the usage view reports them separately.
 */
import { sql } from 'drizzle-orm';
import { PikflowError, getNode } from '@pikflow/catalog';
import type { Db } from '@pikflow/db';
import type { EstimateView, PipelineDocument, UsageCounts, UsageView } from '@pikflow/pipeline';
import { serviceOf, type QuotaPolicy } from './quota-table.ts';
import type { SubmissionPlan } from './estimate-plan.ts';

/**
 * Prices by node type or by service (a node type wins), in one currency: per submission, or per
 * output megapixel (upscalers: input size × scale_factor²; a price per megapixel wins over one
 * per request for the same endpoint).
 */
export interface PriceTable {
  currency: string;
  perRequest: Record<string, number>;
  perMegapixel?: Record<string, number>;
  /** The size assumed for an upscaler's input not known before the run (an image produced upstream, a URL): default 1 MP. */
  assumedMegapixels?: number;
}

/** Caps in Freepik submissions; a run that would exceed one is refused before any request. */
export interface Budgets {
  perRun?: number;
  perBatch?: number;
  perDay?: number;
}

const rowsOf = (result: unknown) => (result as { rows: Record<string, unknown>[] }).rows;
const utcDay = (d: Date) => d.toISOString().slice(0, 10);
const emptyCounts = (): UsageCounts => ({ submissions: 0, refused: 0, statusReads: 0, lists: 0 });

/** Freepik submissions one run of the document makes, per node type. */
export function submissionsPerRun(document: PipelineDocument): Map<string, number> {
  const counts = new Map<string, number>();
  for (const node of document.nodes) {
    const execution = getNode(node.type)?.execution;
    if (!node.bypass && execution?.kind === 'http' && execution.service === 'freepik') counts.set(node.type, (counts.get(node.type) ?? 0) + 1);
  }
  return counts;
}

/** Submissions counted against today's quotas (UTC), per service: refused (429) ones are not. */
async function submittedToday(db: Db): Promise<Map<string, number>> {
  const rows = rowsOf(
    await db.execute(sql`
      SELECT service, count(*) AS n FROM freepik_requests
      WHERE kind = 'submit' AND at >= (date_trunc('day', clock_timestamp() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AND status IS DISTINCT FROM 429
      GROUP BY service`),
  );
  return new Map(rows.map((r) => [String(r.service), Number(r.n)]));
}

/**
 * Submissions of runs already started that the ledger does not hold yet (still to come, or
 * sent and not yet flushed), per service: a budget or quota check must count them, or two
 * batches started together would both fit.
 */
async function committed(db: Db): Promise<Map<string, number>> {
  const rows = rowsOf(
    await db.execute(sql`
      SELECT n.node_type, count(*) AS n FROM node_runs n JOIN runs r ON r.id = n.run_id
      WHERE r.status IN ('queued', 'running') AND n.status IN ('pending', 'queued', 'running', 'submitted')
        AND NOT EXISTS (SELECT 1 FROM freepik_requests f WHERE f.node_run_id = n.id AND f.kind = 'submit' AND f.status IS DISTINCT FROM 429)
      GROUP BY n.node_type`),
  );
  const out = new Map<string, number>();
  for (const r of rows) {
    const type = String(r.node_type);
    const execution = getNode(type)?.execution;
    if (execution?.kind !== 'http' || execution.service !== 'freepik') continue;
    out.set(serviceOf(type), (out.get(serviceOf(type)) ?? 0) + Number(r.n));
  }
  return out;
}

export async function usageView(db: Db, policy: QuotaPolicy, days = 7): Promise<UsageView> {
  const since = new Date(Date.now() - (days - 1) * 86_400_000);
  const rows = rowsOf(
    await db.execute(sql`
      SELECT service, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, kind, (status = 429) AS refused, count(*) AS n
      FROM freepik_requests WHERE at >= ${`${utcDay(since)}T00:00:00Z`}::timestamptz
      GROUP BY 1, 2, 3, 4`),
  );
  const byDay = new Map<string, Map<string, UsageCounts>>();
  for (const r of rows) {
    const day = String(r.day);
    const services = byDay.get(day) ?? new Map<string, UsageCounts>();
    byDay.set(day, services);
    const counts = services.get(String(r.service)) ?? emptyCounts();
    services.set(String(r.service), counts);
    const n = Number(r.n);
    if (r.kind === 'submit') {
      if (r.refused === true) counts.refused += n;
      else counts.submissions += n;
    } else if (r.kind === 'status') counts.statusReads += n;
    else counts.lists += n;
  }
  const today = utcDay(new Date());
  const todays = byDay.get(today) ?? new Map<string, UsageCounts>();
  const names = [...new Set([...policy.knownServices(), ...todays.keys()])].sort();
  return {
    plan: policy.plan,
    today,
    services: names.map((service) => {
      const limits = policy.limits(service);
      const counts = todays.get(service) ?? emptyCounts();
      return {
        service,
        limits: {
          perDay: limits.perDay === undefined ? null : limits.perDay,
          available: limits.perDay !== null,
          ...(limits.windows[0] ? { perSecond: limits.windows[0].limit } : {}),
          ...(limits.concurrent !== undefined ? { concurrent: limits.concurrent } : {}),
        },
        today: counts,
        ...(typeof limits.perDay === 'number' ? { remainingToday: Math.max(0, limits.perDay - counts.submissions) } : {}),
      };
    }),
    days: [...byDay.keys()]
      .sort()
      .reverse()
      .map((day) => ({ day, services: Object.fromEntries([...byDay.get(day)!].sort(([a], [b]) => a.localeCompare(b))) })),
  };
}

/**
 * Freepik submissions (and money, with a price table) for `count` runs of the document, against
 * today's quotas. With a plan (estimate-plan.ts) the counts are the plan's: what the result cache
 * spares is not counted, and upscalers are priced by output megapixels.
 */
export async function estimateRuns(db: Db, policy: QuotaPolicy, document: PipelineDocument, count: number, prices?: PriceTable, plan?: SubmissionPlan): Promise<EstimateView> {
  const perRun = submissionsPerRun(document);
  const [used, pending] = await Promise.all([submittedToday(db), committed(db)]);
  const services = new Map<string, { endpoints: Record<string, number>; requests: number; cached: number }>();
  for (const [type, n] of perRun) {
    const entry = services.get(serviceOf(type)) ?? { endpoints: {}, requests: 0, cached: 0 };
    const requests = plan ? (plan.byType.get(type) ?? 0) : n * count;
    entry.endpoints[type] = requests;
    entry.requests += requests;
    entry.cached += plan?.savedByType.get(type) ?? 0;
    services.set(serviceOf(type), entry);
  }
  let money = 0;
  let priced = Boolean(prices);
  let approximate = false;
  const resetsAt = nextUtcMidnight().toISOString();
  const total = (key: 'requests' | 'cached') => [...services.values()].reduce((a, s) => a + s[key], 0);
  const view: EstimateView = {
    resetsAt,
    runs: count,
    submissionsPerRun: [...perRun.values()].reduce((a, b) => a + b, 0),
    submissions: total('requests'),
    cachedSubmissions: total('cached'),
    cacheAware: Boolean(plan && plan.cacheAware),
    fitsToday: true,
    nodes: [],
    services: [...services].map(([service, entry]) => {
      const limits = policy.limits(service);
      const requests = entry.requests;
      const usedToday = used.get(service) ?? 0;
      const pendingToday = pending.get(service) ?? 0;
      const remaining = typeof limits.perDay === 'number' ? Math.max(0, limits.perDay - usedToday - pendingToday) : undefined;
      const fitsToday = limits.perDay !== null && (remaining === undefined || requests <= remaining);
      const problem =
        limits.perDay === null
          ? `${service} is not available on the Freepik ${policy.plan} plan`
          : !fitsToday
            ? `${service} needs ${requests} requests and has ${remaining} of ${limits.perDay} left today; ${requests - remaining!} would wait until the quota resets at ${resetsAt}`
            : undefined;
      for (const [type, n] of Object.entries(entry.endpoints)) {
        const perMegapixel = prices?.perMegapixel?.[type] ?? prices?.perMegapixel?.[service];
        const megapixels = plan?.megapixels.get(type);
        if (perMegapixel !== undefined && (megapixels !== undefined || n === 0)) {
          money += perMegapixel * (megapixels ?? 0);
          if (plan?.assumedSize) approximate = true;
          continue;
        }
        const price = prices?.perRequest[type] ?? prices?.perRequest[service];
        if (price === undefined) priced = false;
        else money += price * n;
      }
      return {
        service,
        endpoints: entry.endpoints,
        submissions: requests,
        ...(entry.cached ? { cached: entry.cached } : {}),
        perDay: limits.perDay === undefined ? null : limits.perDay,
        usedToday,
        pendingToday,
        ...(remaining !== undefined ? { remainingToday: remaining } : {}),
        fitsToday,
        ...(problem ? { problem } : {}),
      };
    }),
  };
  view.fitsToday = view.services.every((s) => s.fitsToday);
  view.nodes = document.nodes
    .filter((node) => perRun.has(node.type) && !node.bypass)
    .map((node) => {
      const service = serviceOf(node.type);
      const submissions = plan ? (plan.byNode.get(node.id) ?? 0) : count;
      // A node priced per output megapixel has no per-request price to show.
      const perMegapixel = prices?.perMegapixel?.[node.type] ?? prices?.perMegapixel?.[service];
      const price = perMegapixel !== undefined ? undefined : (prices?.perRequest[node.type] ?? prices?.perRequest[service]);
      return { nodeId: node.id, nodeType: node.type, service, submissions, cached: plan?.savedByNode.get(node.id) ?? 0, ...(price !== undefined ? { cost: Math.round(price * submissions * 1e6) / 1e6 } : {}) };
    });
  if (prices && priced) view.cost = { currency: prices.currency, amount: Math.round(money * 1e6) / 1e6, ...(approximate ? { approximate } : {}) };
  return view;
}

/** The next UTC midnight, when the daily quotas reset. */
export function nextUtcMidnight(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** What does not fit in today's quotas, in words (undefined when everything fits). */
export function notTodayMessage(estimate: EstimateView, what: 'run' | 'batch'): string | undefined {
  if (estimate.fitsToday) return undefined;
  const short = estimate.services.filter((s) => !s.fitsToday && s.perDay !== null).map((s) => s.problem!);
  if (!short.length) return undefined; // a service the plan lacks: checkPlan's refusal says so
  return `This ${what} cannot finish today: ${short.join('; ')}`;
}

/** Fail-fast (onQuotaExhausted 'fail'): a run or batch that does not fit in what is left of today is refused before any request. */
export function refuseIfNotToday(estimate: EstimateView, what: 'run' | 'batch'): void {
  const message = notTodayMessage(estimate, what);
  if (message) throw new PikflowError('quota_exhausted', `${message} (onQuotaExhausted "fail": nothing was started)`, { field: 'onQuotaExhausted' });
}

/** Refuses a document using a service the plan does not include (quota_unavailable), before any request. */
export function checkPlan(policy: QuotaPolicy, document: PipelineDocument): void {
  for (const node of document.nodes) {
    const execution = getNode(node.type)?.execution;
    if (execution?.kind !== 'http' || execution.service !== 'freepik') continue;
    const service = serviceOf(node.type);
    if (policy.limits(service).perDay === null) {
      throw new PikflowError('quota_unavailable', `Node "${node.id}" uses ${service}, which the Freepik ${policy.plan} plan does not include (its rate-limit table says N/A)`, {
        nodeId: node.id,
        field: 'type',
      });
    }
  }
}

/**
 * Refuses (budget_exceeded, before any request) a start of `count` runs that would exceed a
 * budget: per run, per batch (when count > 1 is a batch), or per day (today's submissions plus
 * those still to come from runs already started).
 */
export async function checkBudgets(db: Db, budgets: Budgets | undefined, document: PipelineDocument, count: number, batch: boolean, needed?: number): Promise<void> {
  if (!budgets || (budgets.perRun === undefined && budgets.perDay === undefined && budgets.perBatch === undefined)) return;
  const perRun = [...submissionsPerRun(document).values()].reduce((a, b) => a + b, 0);
  if (perRun === 0) return;
  // What the batch will submit: the plan's count (the result cache spares some) or every node of every run.
  const total = needed ?? perRun * count;
  if (budgets.perRun !== undefined && perRun > budgets.perRun) {
    throw new PikflowError('budget_exceeded', `The per-run budget (BUDGET_PER_RUN) allows ${budgets.perRun} Freepik requests; this pipeline needs ${perRun} per run`, { field: 'budget.perRun' });
  }
  if (batch && budgets.perBatch !== undefined && total > budgets.perBatch) {
    throw new PikflowError('budget_exceeded', `The per-batch budget (BUDGET_PER_BATCH) allows ${budgets.perBatch} Freepik requests; this batch needs ${total}`, { field: 'budget.perBatch' });
  }
  if (budgets.perDay !== undefined) {
    const [used, pending] = await Promise.all([submittedToday(db), committed(db)]);
    const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    const already = sum(used) + sum(pending);
    if (already + total > budgets.perDay) {
      throw new PikflowError(
        'budget_exceeded',
        `The daily budget (BUDGET_PER_DAY) allows ${budgets.perDay} Freepik requests; ${already} are used or committed today and this ${batch ? 'batch' : 'run'} needs ${total}`,
        { field: 'budget.perDay' },
      );
    }
  }
}
