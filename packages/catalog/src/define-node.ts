import { z } from 'zod';
import type { ImageLimits } from './image-limits.ts';
import type { PortType } from './ports.ts';
import type { TaskSnapshot } from './task-response.ts';

export const CATEGORIES = [
  'input',
  'output',
  'image-generation',
  'image-edit',
  'upscale',
  'video',
  'icons',
  'lora',
  'analysis',
  'stock',
  'storage',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** How an endpoint wants an image: a public URL, base64 text, either, or file bytes (multipart). */
export type ImageTransport = 'url' | 'base64' | 'both' | 'file';

export interface InputPort {
  name: string;
  type: PortType;
  label?: string;
  description?: string;
  /** A required input must be connected (or, for a port named like a param, that param set). */
  required?: boolean;
  /** For image/image[]/video ports: what the endpoint accepts. */
  accepts?: ImageTransport;
  /** For list ports: the most items the endpoint takes. */
  maxItems?: number;
  /** For list ports: the fewest items the endpoint takes. */
  minItems?: number;
  /**
   * For image/image[] ports: the documented limits on each image (size, aspect, bytes, format).
   * Checked when a run is triggered and before the request is sent; shown in the editor.
   */
  imageLimits?: ImageLimits;
}

export interface OutputPort {
  name: string;
  type: PortType;
  label?: string;
  description?: string;
}

/** File bytes for multipart bodies; the engine fills it in for `accepts: 'file'` ports. */
export interface BinaryFile {
  kind: 'file';
  filename: string;
  contentType: string;
  data: Uint8Array;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Relative to the service's base URL. */
  path: string;
  /** A list value repeats its key (`filters[icon_type][]=a&filters[icon_type][]=b`). */
  query?: Record<string, string | number | boolean | undefined | readonly (string | number)[]>;
  /** Headers the endpoint documents (stock: `Accept-Language`); the client's own (API key, accept) win. */
  headers?: Record<string, string>;
  body?: Record<string, unknown>;
  /** json (default), form = application/x-www-form-urlencoded, multipart = form-data with BinaryFile parts. */
  encoding?: 'json' | 'form' | 'multipart';
}

export interface RequestContext<P> {
  /** The node's params, parsed by its schema, with linked inputs of the same name merged in. */
  params: P;
  /**
   * Values arriving on input ports: images as strings in the transport the port
   * accepts (URL or base64), lists as string[], 'file' ports as BinaryFile.
   */
  inputs: Record<string, unknown>;
  /** Where Freepik should POST status changes, when webhooks are on. */
  webhookUrl?: string;
  /** A UUID stable for this node in this run: the same after a restart. */
  idempotencyKey: string;
}

/** Values per output port: image ports take a URL, data URI or base64 string; lists take arrays. */
export type NodeOutputs = Record<string, unknown>;

export interface HttpExecution<P> {
  kind: 'http';
  /** Which base URL the request goes to. */
  service: 'freepik' | 'file-service';
  /**
   * async: create a task then learn of completion by webhook or polling;
   * sync: the response holds the result;
   * webhook-only: async with no status route, so results only arrive by webhook.
   */
  mode: 'async' | 'sync' | 'webhook-only';
  request(ctx: RequestContext<P>): HttpRequest;
  /** The status route of an async task; differs from the create path for Kling. */
  statusPath?(taskId: string): string;
  /** The route listing all tasks of this endpoint, when there is one. */
  listPath?: string;
  /** Reads output values from the completed task (or sync response). */
  extract(task: TaskSnapshot): NodeOutputs;
  /** Tasks Freepik lets one key run at once (Kling v2 and Elements: 3). */
  maxConcurrentTasks?: number;
}

/** Nodes the engine runs itself: pipeline inputs and outputs. */
export interface LocalExecution {
  kind: 'input' | 'output';
}

export type NodeExecution<P> = HttpExecution<P> | LocalExecution;

export interface NodeDefinition<S extends z.ZodObject = z.ZodObject> {
  /** Stable id stored in pipeline documents, e.g. `freepik.gemini-2-5-flash`. */
  id: string;
  title: string;
  category: Category;
  description: string;
  inputs: InputPort[];
  outputs: OutputPort[];
  /** Keys are the API's own field names; ranges, enums and defaults live only here. */
  params: S;
  execution: NodeExecution<z.output<S>>;
  /** Params to show on the node face in the editor. */
  summaryParams?: string[];
  /** Where the docs for this endpoint live. */
  docsUrl?: string;
  /**
   * Definition version (default 1). Bump it when a change alters what the node returns for the
   * same params and inputs (request mapping, extraction): it is part of the result-cache key, so
   * the node's cached results stop being served.
   */
  version?: number;
  /** Result-cache policy; see CachePolicy. Default: HTTP nodes are cached without expiry. */
  cache?: CachePolicy;
}

/**
 * Whether the engine may reuse this node's earlier result for the same definition version, params,
 * inputs (by content) and service target. `false`: never (the call has effects beyond its result,
 * e.g. training a LoRA). `ttlSeconds`: results that change over time (stock search) are reused
 * only this long after they were made.
 */
export type CachePolicy = false | { ttlSeconds?: number };

/** The effective cache policy: HTTP nodes cache by default; input and output nodes do no work to cache. */
export function cachePolicyOf(def: Pick<NodeDefinition, 'cache' | 'execution'>): { cacheable: boolean; ttlSeconds?: number } {
  if (def.execution.kind !== 'http' || def.cache === false) return { cacheable: false };
  return { cacheable: true, ...(def.cache?.ttlSeconds !== undefined ? { ttlSeconds: def.cache.ttlSeconds } : {}) };
}

export function defineNode<S extends z.ZodObject>(def: NodeDefinition<S>): NodeDefinition<S> {
  const names = new Set<string>();
  for (const port of [...def.inputs.map((p) => `in:${p.name}`), ...def.outputs.map((p) => `out:${p.name}`)]) {
    if (names.has(port)) throw new Error(`${def.id}: duplicate port ${port}`);
    names.add(port);
  }
  for (const port of def.inputs) {
    if (port.imageLimits && port.type !== 'image' && port.type !== 'image[]') throw new Error(`${def.id}: imageLimits on ${port.name}, which is not an image port`);
  }
  if (def.execution.kind === 'http' && def.execution.mode === 'async' && !def.execution.statusPath) {
    throw new Error(`${def.id}: async nodes need a statusPath`);
  }
  if (def.version !== undefined && (!Number.isInteger(def.version) || def.version < 1)) throw new Error(`${def.id}: version must be a whole number ≥ 1`);
  if (def.cache && def.cache.ttlSeconds !== undefined && !(def.cache.ttlSeconds > 0)) throw new Error(`${def.id}: cache.ttlSeconds must be positive`);
  return def;
}

/** The `webhook_url` field, present on every async Freepik body when webhooks are on. */
export function withWebhook<T extends Record<string, unknown>>(body: T, webhookUrl: string | undefined): T {
  return webhookUrl ? { ...body, webhook_url: webhookUrl } : body;
}

/** Drops undefined fields so bodies hold only what the user set or the schema defaulted. */
export function compact<T extends Record<string, unknown>>(body: T): T {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as T;
}

/** A port-free identifier used for REST input names. */
export const inputName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'use letters, digits and _ (it becomes a REST input name)');
