/**
 * Which Freepik submissions runs of a pipeline will really make, with the result cache: each
 * item's pipeline is walked in order, and every HTTP node gets the cache key the executor will
 * compute (node-cache.ts cacheKeyOf) from what is known before the run — input images by
 * content, text by value, and the results of upstream nodes the cache already holds:
 * - a ready, unexpired entry for the key (cache mode `use`): no submission, and its outputs
 *   flow on (by content, so the next node's key is known too);
 * - a key claimed by a node in flight, or met earlier in the same batch: no submission (the node
 *   will wait for that result and be served);
 * - anything else: one submission. Its outputs are not known yet; they are named by the key
 *   (`{$planned}`), so identical items downstream still share one submission.
 * Bypassed nodes pass their inputs on and cost nothing.
 *
 * Upscalers are priced per output megapixel: input size × scale_factor². The size is the input
 * asset's (or a cached upstream result's); an image not produced yet, a URL or a data URI counts
 * as PriceTable.assumedMegapixels, and the cost says it is approximate.
 *
 * The database is asked once per node for every item together (and once for the input assets),
 * not once per item: a 10,000-item batch costs a few dozen queries.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { cachePolicyOf, getNode, type NodeDefinition } from '@pikflow/catalog';
import type { Db } from '@pikflow/db';
import { readImageReference, topologicalGenerations, type CacheMode, type PipelineDocument } from '@pikflow/pipeline';
import { bypassedOutputs, collectInputs, inputNodeValue, nodeParams } from './executor.ts';
import { cacheKeyOf } from './node-cache.ts';
import type { EngineConfig } from './types.ts';

/** An image whose bytes are known (an asset, a cached result, a data URI). */
interface KnownImage {
  $sha256: string;
  width?: number;
  height?: number;
}
/** A value not produced yet: named by the key of the node that will produce it (and, when known, its size). */
interface PlannedValue {
  $planned: string;
  width?: number;
  height?: number;
}

export interface SubmissionPlan {
  /** Submissions per node type. */
  byType: Map<string, number>;
  /** Submissions the result cache spares, per node type. */
  savedByType: Map<string, number>;
  /** The same two per node id (the editor's per-node badges). */
  byNode: Map<string, number>;
  savedByNode: Map<string, number>;
  /** Output megapixels per upscaler node type, over the submissions that are made. */
  megapixels: Map<string, number>;
  /** An upscaler's input size was not known (assumedMegapixels was used). */
  assumedSize: boolean;
  /** The inputs were known and the cache was consulted (mode `use`). */
  cacheAware: boolean;
}

const rowsOf = (result: unknown) => (result as { rows: Record<string, unknown>[] }).rows;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHUNK = 1_000;
const IN_FLIGHT = new Set(['pending', 'queued', 'running', 'submitted']);

const isKnown = (v: unknown): v is KnownImage => typeof v === 'object' && v !== null && typeof (v as KnownImage).$sha256 === 'string';
const isPlanned = (v: unknown): v is PlannedValue => typeof v === 'object' && v !== null && typeof (v as PlannedValue).$planned === 'string';

/** Values as the cache key sees them: known images as `{sha256}` (what contentOf makes of an asset), planned ones by name. */
function content(value: unknown): unknown {
  if (isKnown(value)) return { sha256: value.$sha256 };
  if (isPlanned(value)) return { planned: value.$planned };
  if (Array.isArray(value)) return value.map(content);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, content(v)]));
  return value;
}

function hasPlanned(value: unknown): boolean {
  if (isPlanned(value)) return true;
  if (Array.isArray(value)) return value.some(hasPlanned);
  if (value && typeof value === 'object' && !isKnown(value)) return Object.values(value).some(hasPlanned);
  return false;
}

/** Width and height multiplier of an upscaler's params (`scale_factor` 4, "4" or "4x"); 1 when it has none. */
function scaleOf(params: unknown): number {
  const raw = (params as { scale_factor?: unknown } | null)?.scale_factor;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number.parseInt(raw, 10) : NaN;
  return Number.isFinite(n) && n > 0 ? n : 1;
}

/** Asset rows by id (sha256 and size), a chunk per query. */
async function assetsById(db: Db, ids: Iterable<string>): Promise<Map<string, KnownImage>> {
  const all = [...new Set(ids)].filter((id) => UUID.test(id));
  const out = new Map<string, KnownImage>();
  for (let i = 0; i < all.length; i += CHUNK) {
    const rows = rowsOf(
      await db.execute(sql`SELECT id, sha256, width, height FROM assets WHERE id IN (SELECT jsonb_array_elements_text(${JSON.stringify(all.slice(i, i + CHUNK))}::jsonb)::uuid)`),
    );
    for (const r of rows) {
      out.set(String(r.id), { $sha256: String(r.sha256), ...(r.width != null ? { width: Number(r.width) } : {}), ...(r.height != null ? { height: Number(r.height) } : {}) });
    }
  }
  return out;
}

type Entry = { state: string; outputs: unknown; expired: boolean; claimerStatus: string | null };

async function cacheEntries(db: Db, keys: string[]): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  for (let i = 0; i < keys.length; i += CHUNK) {
    const rows = rowsOf(
      await db.execute(sql`
        SELECT c.key, c.state, c.outputs, (c.expires_at IS NOT NULL AND c.expires_at <= now()) AS expired, n.status AS claimer_status
        FROM node_cache c LEFT JOIN node_runs n ON n.id = c.node_run_id
        WHERE c.key IN (SELECT jsonb_array_elements_text(${JSON.stringify(keys.slice(i, i + CHUNK))}::jsonb))`),
    );
    for (const r of rows) {
      const outputs = typeof r.outputs === 'string' ? JSON.parse(r.outputs) : r.outputs;
      out.set(String(r.key), { state: String(r.state), outputs, expired: r.expired === true, claimerStatus: r.claimer_status == null ? null : String(r.claimer_status) });
    }
  }
  return out;
}

/** Asset ids inside stored outputs. */
function assetIdsIn(value: unknown, into: string[]): void {
  if (Array.isArray(value)) value.forEach((v) => assetIdsIn(v, into));
  else if (value && typeof value === 'object') {
    if (typeof (value as { assetId?: unknown }).assetId === 'string') into.push((value as { assetId: string }).assetId);
    else Object.values(value).forEach((v) => assetIdsIn(v, into));
  }
}

/** Stored outputs with their assets as known images; null when one is gone (the executor then runs the node again). */
function known(value: unknown, assets: Map<string, KnownImage>): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => known(v, assets));
    return items.includes(null) ? null : items;
  }
  if (value && typeof value === 'object') {
    const id = (value as { assetId?: unknown }).assetId;
    if (typeof id === 'string') return assets.get(id) ?? null;
    const entries = Object.entries(value).map(([k, v]) => [k, known(v, assets)] as const);
    return entries.some(([, v]) => v === null) ? null : Object.fromEntries(entries);
  }
  return value;
}

/** An image run input before the run: known by content when it is an asset id or a data URI. */
function inputImage(value: unknown, assets: Map<string, KnownImage>, item: number): unknown {
  if (typeof value === 'string' && UUID.test(value)) return assets.get(value) ?? { $planned: `missing-asset:${value}` };
  const ref = readImageReference(value, {});
  if (typeof ref === 'object' && ref.kind === 'data') return { $sha256: createHash('sha256').update(Buffer.from(ref.base64, 'base64')).digest('hex') };
  // A URL is downloaded when the run starts: identical URLs will be identical bytes.
  if (typeof ref === 'object' && ref.kind === 'url') return { $planned: `url:${ref.url}` };
  return { $planned: `input:${item}` };
}

/**
 * The plan for one run per item (`items` are the runs' inputs; `null` inputs: not known, every
 * node submits). Cache mode `use` consults the cache; `refresh` and `off` submit every node.
 */
export async function planSubmissions(
  db: Db,
  config: Pick<EngineConfig, 'fileServiceUrl' | 'freepik'>,
  document: PipelineDocument,
  items: (Record<string, unknown> | null)[],
  mode: CacheMode = 'use',
  assumedMegapixels = 1,
): Promise<SubmissionPlan> {
  const plan: SubmissionPlan = { byType: new Map(), savedByType: new Map(), byNode: new Map(), savedByNode: new Map(), megapixels: new Map(), assumedSize: false, cacheAware: mode === 'use' && items.every((i) => i !== null) };
  const add = (map: Map<string, number>, type: string, n: number) => map.set(type, (map.get(type) ?? 0) + n);
  const defs = new Map(document.nodes.map((n) => [n.id, getNode(n.type)] as const));
  const nodes = new Map(document.nodes.map((n) => [n.id, n] as const));
  const order = topologicalGenerations(document).flat();

  // Input assets, for every item at once.
  const inputIds: string[] = [];
  for (const inputs of items) for (const v of Object.values(inputs ?? {})) if (typeof v === 'string' && UUID.test(v)) inputIds.push(v);
  const inputAssets = await assetsById(db, inputIds);
  const byItem = items.map(() => new Map<string, { outputs: Record<string, unknown> }>());

  for (const nodeId of order) {
    const node = nodes.get(nodeId)!;
    const def = defs.get(nodeId);
    if (!def) continue;
    const execution = def.execution;
    if (execution.kind === 'output') continue;
    if (execution.kind === 'input') {
      items.forEach((inputs, i) => {
        const port = def.outputs[0]!;
        const { value } = inputNodeValue(inputs ?? {}, node, def);
        const planned = inputs === null ? { $planned: `input:${i}` } : port.type === 'image' ? inputImage(value, inputAssets, i) : value;
        byItem[i]!.set(nodeId, { outputs: { [port.name]: planned } });
      });
      continue;
    }
    if (node.bypass) {
      items.forEach((_, i) => byItem[i]!.set(nodeId, { outputs: bypassedOutputs(document, node, byItem[i]! as never) }));
      continue;
    }
    const freepik = execution.kind === 'http' && execution.service === 'freepik';
    const cacheable = mode === 'use' && cachePolicyOf(def).cacheable;
    // Pass 1: every item's key; items sharing a key share one decision (the first submits, the rest are served).
    const groups = new Map<string, { items: number[]; lookup: boolean; image?: KnownImage | PlannedValue; params: unknown }>();
    items.forEach((_, i) => {
      const portValues = collectInputs(document, nodeId, byItem[i]! as never, def);
      let params: unknown;
      try {
        params = nodeParams(node, def, portValues);
      } catch {
        params = node.params; // the node will fail on its params: it is counted as if it submitted
      }
      const key = cacheKeyOf(config, def, node, params, content(portValues));
      // Not cacheable: identical nodes each submit (and their results differ).
      const group = cacheable ? key : `${key}:${i}`;
      const entry = groups.get(group) ?? { items: [], lookup: cacheable && !hasPlanned(portValues), image: firstImage(def, portValues), params };
      entry.items.push(i);
      groups.set(group, entry);
    });
    const entries = await cacheEntries(db, [...groups].filter(([, g]) => g.lookup).map(([key]) => key));
    const hitAssets: string[] = [];
    for (const entry of entries.values()) if (entry.state === 'ready' && !entry.expired) assetIdsIn(entry.outputs, hitAssets);
    const outputAssets = await assetsById(db, hitAssets);
    // Pass 2: the decisions.
    for (const [key, group] of groups) {
      const entry = entries.get(key);
      const hit = entry && entry.state === 'ready' && !entry.expired ? (known(entry.outputs, outputAssets) as Record<string, unknown> | null) : null;
      const inFlight = Boolean(entry && entry.state !== 'ready' && entry.claimerStatus && IN_FLIGHT.has(entry.claimerStatus));
      const submits = hit || inFlight ? 0 : 1;
      let outputs = hit;
      if (!outputs) {
        const scale = scaleOf(group.params);
        const sized = group.image?.width && group.image.height ? { width: group.image.width * scale, height: group.image.height * scale } : {};
        outputs = Object.fromEntries(def.outputs.map((p) => [p.name, { $planned: `${key}:${p.name}`, ...sized }]));
      }
      for (const i of group.items) byItem[i]!.set(nodeId, { outputs });
      if (!freepik) continue;
      add(plan.byType, node.type, submits);
      add(plan.savedByType, node.type, group.items.length - submits);
      add(plan.byNode, nodeId, submits);
      add(plan.savedByNode, nodeId, group.items.length - submits);
      if (submits && def.category === 'upscale') {
        const scale = scaleOf(group.params);
        const image = group.image;
        const inputMp = image?.width && image.height ? (image.width * image.height) / 1e6 : undefined;
        if (inputMp === undefined) plan.assumedSize = true;
        add(plan.megapixels, node.type, (inputMp ?? assumedMegapixels) * scale * scale);
      }
    }
  }
  return plan;
}

/** The plan for `count` runs whose inputs are not known: one unknown run, `count` times (nothing is spared). */
export async function planUnknownRuns(db: Db, config: Pick<EngineConfig, 'fileServiceUrl' | 'freepik'>, document: PipelineDocument, count: number, assumedMegapixels?: number): Promise<SubmissionPlan> {
  const one = await planSubmissions(db, config, document, [null], 'off', assumedMegapixels);
  const times = (map: Map<string, number>) => new Map([...map].map(([k, v]) => [k, v * count]));
  return { ...one, byType: times(one.byType), savedByType: times(one.savedByType), byNode: times(one.byNode), savedByNode: times(one.savedByNode), megapixels: times(one.megapixels) };
}

/** The first image input of a node (an upscaler's only one), when it is an image value. */
function firstImage(def: NodeDefinition, portValues: Record<string, unknown>): KnownImage | PlannedValue | undefined {
  const port = def.inputs.find((p) => p.type === 'image');
  const value = port ? portValues[port.name] : undefined;
  return isKnown(value) || isPlanned(value) ? value : undefined;
}
