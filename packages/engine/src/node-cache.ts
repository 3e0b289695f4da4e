/**
 * The node-result cache: iterate without re-paying. Durable (the `node_cache` table), shared by
 * every worker, pipeline, the editor and the REST trigger.
 *
 * Key: sha256 of the canonical JSON of the node definition's id and version, its params as parsed
 * (defaults applied, linked text/number inputs merged), its inputs by content (images by the
 * sha256 of their bytes, text and numbers by value, lists and JSON element by element), the
 * service target (the Freepik base URL, or the file-service URL for uploads) and the node's
 * re-roll nonce. Upstream outputs enter by their content, which is what their own keys produce:
 * a node downstream of one that ran again with the same result is still reused.
 *
 * Value: the outputs as the producing node stored them (AssetRefs of already re-hosted assets),
 * with the run and node run that produced them. An entry whose asset rows or files are gone, or
 * whose TTL (catalog: `cache.ttlSeconds`) passed, is a miss and is produced again.
 *
 * One submission for identical nodes in flight: a miss claims the key (state 'pending', the
 * claiming node run). A node finding another node run's claim waits durably (its execute job is
 * re-sent with a delay, so a restart loses nothing) until the claim turns 'ready' (a hit), or its
 * claimer ends without a result (the claim is taken over). The claim turns 'ready' in the
 * transaction that completes the claiming node (storeStatement), so no crash can leave a result
 * unrecorded; a claim whose claimer succeeded without it (an older process) is promoted by
 * whoever finds it.
 *
 * Policy lives in the catalog (cachePolicyOf): HTTP nodes cache by default, `cache: false` opts
 * out, `cache: { ttlSeconds }` expires. The file-service upload is cached too, but only ever
 * served when its image bytes and the target service URL are identical: the same file is then
 * already stored at that service, under the URL the entry holds.
 *
 * Run options (the REST trigger, the editor's Run dialog, retry) travel in the run's snapshot
 * as `document.cache` (RunCachePlan): durable with the run, seen by every worker.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { cachePolicyOf, PikflowError, type NodeDefinition } from '@pikflow/catalog';
import type { DbHandle } from '@pikflow/db';
import type { AssetRef, CachedFrom, CacheMode, PipelineDocument, PipelineNode } from '@pikflow/pipeline';
import type { LocalAssetStore } from './asset-store.ts';
import type { RawClient } from './jobs.ts';
import type { EngineConfig } from './types.ts';

/** How one run uses the cache, stored in its snapshot (`document.cache`). */
export interface RunCachePlan {
  /** Default for every node (default 'use'). */
  mode?: CacheMode;
  /** Nodes that run again and overwrite their entry (per-node refresh and its descendants, re-rolls). */
  refresh?: string[];
  /** Retry: node id → node run id of the original run whose outputs are reused (inputs permitting). */
  reuse?: Record<string, string>;
  /** Retry: the run this one retries. */
  retryOf?: string;
}

/** Cache options of a new run, as the REST trigger and the editor give them. */
export interface RunCacheOptions {
  mode?: CacheMode;
  /** Re-run these nodes and everything downstream. */
  refresh?: string[];
  /** Give these nodes a new re-roll nonce (a new variation); everything downstream runs again. */
  reroll?: string[];
}

export type CacheDecision =
  /** Submit; a claim was taken unless the cache is off for this node or it is not cacheable. */
  | { kind: 'miss' }
  /** Served: complete the node with these outputs; `event` goes into node.completed. */
  | { kind: 'hit'; outputs: Record<string, unknown>; event: { status: 'cached'; cachedFrom: CachedFrom } }
  /** An identical node is in flight elsewhere: look again after the delay. */
  | { kind: 'wait'; delayMs: number }
  /** The node run is no longer this executor's to start (another executor moved it on). */
  | { kind: 'owned' };

/** What the cache reads of a node about to execute (a subset of the executor's context). */
export interface CacheContext {
  run: { id: string };
  doc: PipelineDocument;
  node: PipelineNode;
  def: NodeDefinition;
  row: { id: string };
  log: Logger;
}

/** The request_summary a cached node run carries instead of a request (none was made). */
interface CacheMarker {
  cache: CachedFrom & { key?: string };
}

const IN_FLIGHT = new Set(['pending', 'queued', 'running', 'submitted']);

export function cachePlanOf(doc: PipelineDocument): RunCachePlan {
  return ((doc as PipelineDocument & { cache?: RunCachePlan }).cache ?? {}) as RunCachePlan;
}

/** A run snapshot without its cache plan: what a retry starts from. */
export function withoutCachePlan(doc: PipelineDocument): PipelineDocument {
  const { cache: _plan, ...rest } = doc as PipelineDocument & { cache?: RunCachePlan };
  return rest as PipelineDocument;
}

/**
 * The snapshot a run is started with: re-rolled nodes get a new nonce, and the plan (refreshed
 * nodes with their descendants) is attached. Unknown node ids are the caller's mistake.
 */
export function applyCacheOptions(doc: PipelineDocument, options: RunCacheOptions | undefined, extra: Pick<RunCachePlan, 'reuse' | 'retryOf'> = {}): PipelineDocument {
  const ids = new Set(doc.nodes.map((n) => n.id));
  const refresh = options?.refresh ?? [];
  const reroll = options?.reroll ?? [];
  const unknown = [...refresh.map((id) => ['refresh', id] as const), ...reroll.map((id) => ['reroll', id] as const)].filter(([, id]) => !ids.has(id));
  if (unknown.length) {
    throw new PikflowError('invalid_input', `unknown node id${unknown.length > 1 ? 's' : ''}: ${unknown.map(([f, id]) => `${f} "${id}"`).join(', ')}`, { field: unknown[0]![0] });
  }
  const rerolled = new Set(reroll);
  const nodes = doc.nodes.map((n) => (rerolled.has(n.id) ? { ...n, reroll: randomUUID() } : n));
  const again = descendantsOf(doc, [...refresh, ...reroll]);
  const plan: RunCachePlan = {
    ...(options?.mode && options.mode !== 'use' ? { mode: options.mode } : {}),
    ...(again.size ? { refresh: [...again] } : {}),
    ...extra,
  };
  const base = { ...withoutCachePlan(doc), nodes };
  return (Object.keys(plan).length ? { ...base, cache: plan } : base) as PipelineDocument;
}

/** The given nodes and everything downstream of them. */
function descendantsOf(doc: PipelineDocument, roots: string[]): Set<string> {
  const out = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const e of doc.edges) if (out.has(e.source) && !out.has(e.target)) (out.add(e.target), (grew = true));
  }
  return out;
}

/** JSON with object keys sorted and undefined dropped: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : walk(x)));
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, walk((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(walk(value));
}

const isAssetRef = (v: unknown): v is AssetRef => typeof v === 'object' && v !== null && typeof (v as AssetRef).assetId === 'string' && typeof (v as AssetRef).url === 'string';

export class NodeCache {
  /** Waits per node run so far, for the back-off (a cost heuristic only: bounded, lost on restart). */
  private readonly waits = new Map<string, number>();
  /** Keys claimed by node runs of this process, and this process's nodes waiting for each key. */
  private readonly claimedHere = new Map<string, string>();
  private readonly waiting = new Map<string, Map<string, { runId: string; nodeId: string }>>();

  constructor(
    private readonly deps: {
      handle: DbHandle;
      assets: LocalAssetStore;
      config: EngineConfig;
      /** Runs a waiting node again now (its delayed job stays as the durable fallback). */
      wake?: (runId: string, nodeId: string) => void;
    },
  ) {}

  /**
   * After a node run of this process ended (its transaction committed): nodes here waiting for the
   * key it claimed look again at once instead of at their next delayed job. Other processes'
   * waiters find out at theirs.
   */
  released(nodeRunId: string): void {
    const key = this.claimedHere.get(nodeRunId);
    if (key === undefined) return;
    this.claimedHere.delete(nodeRunId);
    const waiters = this.waiting.get(key);
    this.waiting.delete(key);
    for (const w of waiters?.values() ?? []) this.deps.wake?.(w.runId, w.nodeId);
  }

  /**
   * Before a node submits. `params` are as the node will send them, `portValues` its inputs as
   * stored (AssetRefs, text, numbers).
   */
  async before(ctx: CacheContext, params: unknown, portValues: Record<string, unknown>): Promise<CacheDecision> {
    const { def, node } = ctx;
    const plan = cachePlanOf(ctx.doc);
    const reuse = plan.reuse?.[node.id];
    if (reuse) {
      const reused = await this.reuse(ctx, reuse, portValues);
      if (reused) return reused;
    }
    const mode: CacheMode = plan.refresh?.includes(node.id) ? 'refresh' : (plan.mode ?? 'use');
    if (mode === 'off' || !cachePolicyOf(def).cacheable) return { kind: 'miss' };
    const key = await this.keyOf(def, node, params, portValues);
    if (!key) return { kind: 'miss' };
    const me = ctx.row.id;
    const decision = await this.decide(ctx, key, mode, portValues);
    this.waiting.get(key)?.delete(me);
    if (decision.kind === 'miss') this.remember(this.claimedHere, me, key);
    if (decision.kind === 'wait') {
      const waiters = this.waiting.get(key) ?? new Map<string, { runId: string; nodeId: string }>();
      this.remember(this.waiting, key, waiters.set(me, { runId: ctx.run.id, nodeId: node.id }));
    }
    return decision;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.set(key, value);
    if (map.size > 10_000) map.delete(map.keys().next().value!);
  }

  /** The decision for a cacheable node with this key, claiming the key on a miss. */
  private async decide(ctx: CacheContext, key: string, mode: CacheMode, portValues: Record<string, unknown>): Promise<CacheDecision> {
    const { def } = ctx;
    const me = ctx.row.id;
    for (let attempt = 0; attempt < 5; attempt++) {
      const { rows } = await this.raw().query(
        `SELECT c.state, c.outputs, c.run_id, c.node_run_id, (c.expires_at IS NOT NULL AND c.expires_at <= now()) AS expired,
           n.status AS claimer_status, n.outputs AS claimer_outputs, n.request_summary AS claimer_summary
         FROM node_cache c LEFT JOIN node_runs n ON n.id = c.node_run_id WHERE c.key = $1`,
        [key],
      );
      const entry = rows[0] as
        | { state: string; outputs: unknown; run_id: string; node_run_id: string; expired: boolean; claimer_status: string | null; claimer_outputs: unknown; claimer_summary: unknown }
        | undefined;
      if (!entry) {
        if (await this.claimNew(key, def, ctx)) return { kind: 'miss' };
        continue;
      }
      if (entry.node_run_id === me) return { kind: 'miss' }; // our own claim (the job ran again)
      if (entry.state === 'ready') {
        const outputs = parse(entry.outputs) as Record<string, unknown>;
        if (mode === 'use' && !entry.expired && (await this.assetsExist(outputs))) {
          return this.serve(ctx, key, outputs, { runId: entry.run_id, nodeRunId: entry.node_run_id }, portValues);
        }
        if (await this.takeOver(key, entry.node_run_id, ctx)) return { kind: 'miss' };
        continue;
      }
      // Another node run's claim.
      if (entry.claimer_status && IN_FLIGHT.has(entry.claimer_status)) {
        ctx.log.debug({ key, claimer: entry.node_run_id }, 'an identical node is in flight: waiting for its result');
        return { kind: 'wait', delayMs: this.waitDelayMs(me) };
      }
      const claimerOutputs = parse(entry.claimer_outputs) as Record<string, unknown> | null;
      if (entry.claimer_status === 'succeeded' && claimerOutputs && !markerOf(entry.claimer_summary) && (await this.assetsExist(claimerOutputs))) {
        // Its result was never recorded in the entry (a process from before the cache): record it now.
        await this.raw().query(
          `UPDATE node_cache SET state = 'ready', outputs = $3::jsonb, stored_at = now(), expires_at = ${this.expiresSql('$4')}
           WHERE key = $1 AND node_run_id = $2 AND state = 'pending'`,
          [key, entry.node_run_id, JSON.stringify(claimerOutputs), cachePolicyOf(def).ttlSeconds ?? null],
        );
        if (mode === 'use') return this.serve(ctx, key, claimerOutputs, { runId: entry.run_id, nodeRunId: entry.node_run_id }, portValues);
        continue;
      }
      // The claimer ended without a result (failed, skipped, cancelled, gone): produce it here.
      if (await this.takeOver(key, entry.node_run_id, ctx)) return { kind: 'miss' };
    }
    // Lost every race in a row: let the job come back rather than risk paying twice.
    return { kind: 'wait', delayMs: this.waitDelayMs(me) };
  }

  /**
   * The statement that records a finished node's result in the entry it claimed (none: no-op),
   * for the transaction that completes the node. Null for nodes that are not cached.
   */
  storeStatement(def: NodeDefinition, nodeRunId: string, outputs: Record<string, unknown>): { text: string; values: unknown[] } | null {
    const policy = cachePolicyOf(def);
    if (!policy.cacheable) return null;
    return {
      text: `UPDATE node_cache SET state = 'ready', outputs = $2::jsonb, stored_at = now(), expires_at = ${this.expiresSql('$3')}
             WHERE node_run_id = $1::uuid AND state = 'pending'`,
      values: [nodeRunId, JSON.stringify(outputs), policy.ttlSeconds ?? null],
    };
  }

  /** Records the result inside the completing transaction: deferred to COMMIT on PostgreSQL. */
  async storeIn(raw: RawClient, def: NodeDefinition, nodeRunId: string, outputs: Record<string, unknown>): Promise<void> {
    const statement = this.storeStatement(def, nodeRunId, outputs);
    if (!statement) return;
    if (raw.defer) raw.defer(statement.text, statement.values);
    else await raw.query(statement.text, statement.values);
  }

  /** The key of a node with these params and inputs; null when an input asset cannot be read (the node fails on its own). */
  async keyOf(def: NodeDefinition, node: PipelineNode, params: unknown, portValues: Record<string, unknown>): Promise<string | null> {
    const inputs = await this.contentOf(portValues);
    if (inputs === MISSING) return null;
    return cacheKeyOf(this.deps.config, def, node, params, inputs);
  }

  // -----------------------------------------------------------------------------------------

  private async serve(ctx: CacheContext, key: string | undefined, outputs: Record<string, unknown>, from: CachedFrom, portValues: Record<string, unknown>): Promise<CacheDecision> {
    const marker: CacheMarker = { cache: { ...from, ...(key ? { key } : {}) } };
    // The marker (and the inputs, as a submission records them) first; the completion follows in
    // the executor's run transaction. A node another executor already moved on is left to it.
    // (Hits are not counted on the entry: every run updating one hot row would serialise on it.)
    const { rows } = await this.raw().query(
      `UPDATE node_runs SET request_summary = $2::jsonb, inputs = $3::jsonb, started_at = coalesce(started_at, now())
       WHERE id = $1::uuid AND status IN ('queued', 'running') AND submit_state = 'none' RETURNING id`,
      [ctx.row.id, JSON.stringify(marker), JSON.stringify(portValues)],
    );
    if (!rows.length) return { kind: 'owned' };
    ctx.log.info({ cachedFrom: from }, 'served from the result cache');
    return { kind: 'hit', outputs, event: { status: 'cached', cachedFrom: from } };
  }

  /** Retry: the original run's result for this node, when its inputs are the same by content and its assets are all there. */
  private async reuse(ctx: CacheContext, nodeRunId: string, portValues: Record<string, unknown>): Promise<CacheDecision | null> {
    const { rows } = await this.raw().query(`SELECT run_id, status, inputs, outputs, request_summary FROM node_runs WHERE id = $1::uuid`, [nodeRunId]);
    const original = rows[0] as { run_id: string; status: string; inputs: unknown; outputs: unknown; request_summary: unknown } | undefined;
    if (!original || original.status !== 'succeeded') return null;
    const outputs = parse(original.outputs) as Record<string, unknown> | null;
    if (!outputs || !(await this.assetsExist(outputs))) return null;
    const [before, now] = await Promise.all([this.contentOf((parse(original.inputs) ?? {}) as Record<string, unknown>), this.contentOf(portValues)]);
    if (before === MISSING || now === MISSING || canonicalJson(before) !== canonicalJson(now)) return null;
    // A node the original run itself took from the cache names where it really came from.
    const from = markerOf(original.request_summary) ?? { runId: original.run_id, nodeRunId };
    return this.serve(ctx, undefined, outputs, { runId: from.runId, nodeRunId: from.nodeRunId }, portValues);
  }

  private async claimNew(key: string, def: NodeDefinition, ctx: CacheContext): Promise<boolean> {
    const { rows } = await this.raw().query(
      `INSERT INTO node_cache (key, node_type, definition_version, state, run_id, node_run_id) VALUES ($1, $2, $3, 'pending', $4::uuid, $5::uuid)
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [key, def.id, def.version ?? 1, ctx.run.id, ctx.row.id],
    );
    return rows.length > 0;
  }

  /** Compare-and-set from the previous holder to this node run: exactly one contender wins. */
  private async takeOver(key: string, previous: string, ctx: CacheContext): Promise<boolean> {
    const { rows } = await this.raw().query(
      `UPDATE node_cache SET state = 'pending', outputs = NULL, run_id = $3::uuid, node_run_id = $4::uuid, claimed_at = now(), stored_at = NULL, expires_at = NULL
       WHERE key = $1 AND node_run_id = $2::uuid RETURNING key`,
      [key, previous, ctx.run.id, ctx.row.id],
    );
    return rows.length > 0;
  }

  /** The expiry of an entry stored now, from a TTL parameter in seconds (NULL: none). */
  private expiresSql(param: string): string {
    return `CASE WHEN ${param}::double precision IS NULL THEN NULL ELSE now() + make_interval(secs => ${param}::double precision) END`;
  }

  /**
   * How long a node waits before looking at an identical node's claim again: from the first status
   * check's delay (at least 200 ms), growing ×1.5 per wait up to 5 s, jittered so that many runs
   * waiting for one result do not come back together (each look costs the database a few queries).
   */
  private waitDelayMs(nodeRunId: string): number {
    const n = this.waits.get(nodeRunId) ?? 0;
    this.waits.delete(nodeRunId);
    this.waits.set(nodeRunId, n + 1);
    if (this.waits.size > 10_000) this.waits.delete(this.waits.keys().next().value!);
    const base = Math.min(5_000, Math.max(200, this.deps.config.poll.initialDelayMs) * 1.5 ** n);
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  /** Values with every asset replaced by the sha256 of its bytes; MISSING when an asset is unknown. */
  private async contentOf(value: unknown): Promise<unknown> {
    if (isAssetRef(value)) {
      const asset = await this.deps.assets.get(value.assetId);
      return asset ? { sha256: asset.sha256 } : MISSING;
    }
    if (Array.isArray(value)) {
      const items = await Promise.all(value.map((v) => this.contentOf(v)));
      return items.includes(MISSING) ? MISSING : items;
    }
    if (value && typeof value === 'object') {
      const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await this.contentOf(v)] as const));
      return entries.some(([, v]) => v === MISSING) ? MISSING : Object.fromEntries(entries);
    }
    return value;
  }

  /** Every asset an entry names still has its row and its file: otherwise the entry is a miss. */
  private async assetsExist(value: unknown): Promise<boolean> {
    if (isAssetRef(value)) {
      const asset = await this.deps.assets.get(value.assetId);
      return Boolean(asset && existsSync(this.deps.assets.pathOf(asset)));
    }
    if (Array.isArray(value)) return (await Promise.all(value.map((v) => this.assetsExist(v)))).every(Boolean);
    if (value && typeof value === 'object') return (await Promise.all(Object.values(value).map((v) => this.assetsExist(v)))).every(Boolean);
    return true;
  }

  private raw(): RawClient {
    const { handle } = this.deps;
    return (handle.kind === 'postgres' ? handle.pool : handle.pglite) as unknown as RawClient;
  }
}

const MISSING = Symbol('missing asset');

/**
 * The key from inputs already by content (images as `{sha256}`): what keyOf computes, and what the
 * estimate computes (estimate-plan.ts) for nodes that have not run yet.
 */
export function cacheKeyOf(config: Pick<EngineConfig, 'fileServiceUrl' | 'freepik'>, def: NodeDefinition, node: PipelineNode, params: unknown, inputsByContent: unknown): string {
  const execution = def.execution;
  const target = execution.kind === 'http' ? (execution.service === 'file-service' ? config.fileServiceUrl : config.freepik.baseUrl) : null;
  const material = { node: def.id, version: def.version ?? 1, target, params, inputs: inputsByContent, reroll: node.reroll ?? null };
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}

function parse(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : (v ?? null);
}

/** The source a cached node run names (its request_summary marker), if it was served from the cache. */
export function markerOf(summary: unknown): CachedFrom | null {
  const s = parse(summary) as Partial<CacheMarker> | null;
  return s && typeof s === 'object' && s.cache && typeof s.cache.runId === 'string' ? { runId: s.cache.runId, nodeRunId: s.cache.nodeRunId } : null;
}
