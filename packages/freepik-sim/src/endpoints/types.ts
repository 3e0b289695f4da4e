/**
 * The plug-in interface for one simulated Freepik endpoint. Adding an endpoint to
 * the simulator = one file in this folder exporting a `SimEndpoint`, plus one line
 * in ./index.ts. The core (auth, rate limits, faults, validation, task store,
 * lifecycle, webhooks, expiring files, stats) does everything else.
 *
 * Two kinds:
 * - `task`: declarative. The core validates the body with `body`, decodes the
 *   declared image fields, creates a task, runs `produce` and serves the result
 *   through the create / status / list routes in the shape the endpoint declares.
 *   Covers async, sync and webhook-only endpoints.
 * - `routes`: an escape hatch for endpoints that are not tasks (stock search,
 *   LoRA list, icon render of another task). It registers its own Fastify routes
 *   with the shared services; auth, rate limits and faults still apply to every
 *   route under /v1/.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';

export type SimTaskStatus = 'CREATED' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** How a field takes its image: a public URL, base64 text (data URIs included) or either. */
export type ImageAccepts = 'url' | 'base64' | 'both';

/** A body field carrying an image (or a list of images) that the core decodes before `produce`. */
export interface ImageField {
  /** The API's field name, e.g. `image`, `reference_images`. Its zod type belongs in `body`. */
  name: string;
  /** The field is a list of images (`reference_images`, `images`). */
  list?: boolean;
  accepts: ImageAccepts;
}

/** An image from the request, downloaded/decoded and checked by sharp. */
export interface DecodedImage {
  /** Where it came from in the body: `image`, `reference_images.1`. */
  field: string;
  data: Buffer;
  /** sharp's format name: png, jpeg, webp, gif, ... */
  format: string;
  width: number;
  height: number;
}

/** One result file. The core stores it and puts its expiring URL into `generated`. */
export interface OutputFile {
  data: Buffer;
  /** e.g. image/png, video/mp4 */
  mime: string;
  /** Extension without the dot: png, jpg, mp4, svg */
  ext: string;
}

export interface ProduceContext<B> {
  /** The body parsed by the endpoint's schema (defaults applied). */
  body: B;
  /** Decoded images per declared image field, in body order (a single-image field has one entry; absent → []). */
  images: Record<string, DecodedImage[]>;
  endpointId: string;
  taskId: string;
  /** The simulator's seeded RNG: use it instead of Math.random so tests stay deterministic. */
  rng: () => number;
  /** Outputs larger than this (width × height) must end FAILED: throw TaskFailure. */
  maxOutputPixels: number;
  /**
   * Inputs were checked against this many pixels from their headers; pass it to sharp as
   * `limitInputPixels` when decoding them, so a header that lies cannot decode a bomb.
   */
  maxInputPixels: number;
}

export interface ProduceResult {
  /** Files whose URLs become `generated` (async) or are handed to `syncResponse` (sync). */
  files?: OutputFile[];
  /**
   * Extra fields placed next to task_id/status/generated in status responses once
   * COMPLETED (e.g. Mystic's `has_nsfw`), and handed to `syncResponse`.
   */
  extra?: Record<string, unknown>;
}

/** What a sync endpoint's response is built from. */
export interface SyncResult {
  taskId: string;
  /** URLs of `files`, in order. */
  urls: string[];
  extra: Record<string, unknown>;
}

/**
 * Shapes of the create (POST) response of an async endpoint:
 * - envelope: `{data:{task_id,status,generated:[]}}` (Gemini, Precision, Mystic, ...)
 * - envelope-without-generated: `{data:{task_id,status}}` (Flux dev, every Kling)
 * - flat: `{task_id,task_status,generated:[]}` (Style Transfer)
 * Status (GET) responses are always the standard envelope.
 */
export type CreateResponseShape = 'envelope' | 'envelope-without-generated' | 'flat';

export interface TaskEndpoint<S extends z.ZodType = z.ZodType> {
  kind: 'task';
  /** Stats key and latency key: the catalog node id when there is one, e.g. `freepik.gemini-2-5-flash`. */
  id: string;
  /** Create path (POST), e.g. `/v1/ai/gemini-2-5-flash-image-preview`. */
  path: string;
  /**
   * async: POST creates a task; results by status route or webhook.
   * sync: the POST response holds the result (Remove background, Reimagine, classifier).
   * webhook-only: async with no status route; results only by webhook (text-to-icon).
   */
  mode: 'async' | 'sync' | 'webhook-only';
  /** The whole request body, written from the seeds (see ./seed-rules.ts), not from the catalog. */
  body: S;
  /** Image fields decoded before `produce`; an undecodable one is a 400 naming the field. */
  imageFields?: ImageField[];
  /**
   * Status routes (async only), as Fastify paths with `:taskId`. Default
   * `[path + '/:taskId']`. Several endpoints may share one (Kling 2.1 pro/std →
   * `/v1/ai/image-to-video/kling-v2-1/:taskId`); a task answers only on its own endpoint's paths.
   */
  statusPaths?: string[];
  /** `GET path` lists the caller's tasks of this endpoint. Default: true for async, false otherwise. */
  list?: boolean;
  /** Shape of the POST response of async/webhook-only endpoints. Default 'envelope'. */
  createResponse?: CreateResponseShape;
  /** Sync endpoints: the 200 body. Default `{data:{task_id,status:'COMPLETED',generated:urls,...extra}}`. */
  syncResponse?(result: SyncResult): unknown;
  /** Typical time from create to COMPLETED when no latency is configured (ms). */
  latencyMs?: number;
  /** This endpoint's own result-URL lifetime (Remove background: 5 min); otherwise the configured TTL. */
  resultTtlMs?: number;
  /** Unfinished tasks one key may have at once (Kling v2 / Elements: 3); more → 429. */
  maxConcurrentTasks?: number;
  /** Endpoints sharing one concurrency budget; default the endpoint id. */
  concurrencyGroup?: string;
  /** Makes the result. Throw TaskFailure (see ../core/errors.ts) to end the task FAILED. No timers here. */
  produce(ctx: ProduceContext<z.output<S>>): Promise<ProduceResult>;
}

/** A task as custom routes may see it. */
export interface SimTaskView {
  taskId: string;
  endpointId: string;
  status: SimTaskStatus;
  generated: string[];
  extra: Record<string, unknown>;
  /** Where the task's status changes are sent, when the create request gave one. */
  webhookUrl?: string;
}

/** Shared services handed to `routes` endpoints. */
export interface SimServices {
  /** Current configuration (live; do not mutate). */
  readonly config: Readonly<import('../core/config.ts').SimConfig>;
  /** Seeded RNG. */
  rng(): number;
  /** The caller's API key (auth has already run for /v1/ routes). */
  apiKeyOf(request: FastifyRequest): string;
  /** Base URL of the simulator as the caller reached it (for building file URLs). */
  originOf(request: FastifyRequest): string;
  /** Validates with zod; throws a 400 in Freepik's `invalid_params` shape. */
  parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S>;
  /** Decodes one image value (URL / base64 / data URI); throws a 400 naming `field`. */
  decodeImage(field: string, value: string, accepts: ImageAccepts): Promise<DecodedImage>;
  /** Stores a result file; returns its URL under /__sim/files/, expiring after ttlMs (default: configured TTL). */
  storeFile(file: OutputFile, origin: string, ttlMs?: number): string;
  /** A task of this key, with its status advanced to now; undefined when unknown or another key's. */
  getTask(apiKey: string, taskId: string): SimTaskView | undefined;
  /**
   * Starts a task of `endpoint` for the caller, with the usual lifecycle, faults and
   * webhooks (to `webhookUrl`), from a route of a `routes` endpoint: `body` goes to its
   * `produce`. For tasks created on another task's route (icon render).
   */
  startTask(request: FastifyRequest, endpoint: TaskEndpoint, body: Record<string, unknown>, webhookUrl?: string): SimTaskView;
  /** Counts a call in /__sim/stats. */
  count(apiKey: string, endpointId: string, kind: 'submission' | 'poll' | 'list'): void;
}

export interface RouteEndpoint {
  kind: 'routes';
  id: string;
  register(app: FastifyInstance, sim: SimServices): void | Promise<void>;
}

export type SimEndpoint = TaskEndpoint<any> | RouteEndpoint;

/** Identity helper that keeps `produce`'s body type inferred from `body`. */
export function defineTaskEndpoint<S extends z.ZodType>(endpoint: TaskEndpoint<S>): TaskEndpoint<S> {
  return endpoint;
}
