/**
 * The execution most Freepik endpoints share: POST the body fields to a create
 * path (undefined fields dropped, `webhook_url` added when webhooks are on), then
 * learn of completion by webhook or by polling `${path}/${taskId}`; the same path
 * lists the key's tasks. A node file states only what is its own: the path, the
 * body fields, the status route where it differs (Kling) and what to read from
 * the finished task.
 */
import type { z } from 'zod';
import {
  compact,
  defineNode,
  withWebhook,
  type HttpExecution,
  type NodeDefinition,
  type NodeOutputs,
  type RequestContext,
} from './define-node.ts';
import type { TaskSnapshot } from './task-response.ts';

export interface FreepikTaskSpec<P> {
  /** Create path (POST), relative to the Freepik base URL. */
  path: string;
  /**
   * async (default): status route and list route as above;
   * webhook-only: no status or list route (text-to-icon);
   * sync: the answer holds the result (LoRA training, accepted at once).
   */
  mode?: HttpExecution<P>['mode'];
  /** The body fields, in the API's own names. */
  body(ctx: RequestContext<P>): Record<string, unknown>;
  /** Async only: the status route when it is not `${path}/${taskId}` (Kling 2.1 pro/std, Elements). */
  statusPath?(taskId: string): string;
  extract(task: TaskSnapshot): NodeOutputs;
  /** Tasks Freepik lets one key run at once (Kling v2 and Elements: 3). */
  maxConcurrentTasks?: number;
}

export function freepikTask<P>(spec: FreepikTaskSpec<P>): HttpExecution<P> {
  const { path, mode = 'async', body, extract, maxConcurrentTasks } = spec;
  const execution: HttpExecution<P> = {
    kind: 'http',
    service: 'freepik',
    mode,
    request: (ctx) => ({ method: 'POST', path, body: withWebhook(compact(body(ctx)), ctx.webhookUrl) }),
    extract,
  };
  if (mode === 'async') {
    execution.statusPath = spec.statusPath ?? ((taskId) => `${path}/${taskId}`);
    execution.listPath = path;
  } else if (spec.statusPath) {
    throw new Error(`${path}: only async tasks have a status route`);
  }
  if (maxConcurrentTasks !== undefined) execution.maxConcurrentTasks = maxConcurrentTasks;
  return execution;
}

/**
 * defineNode for an endpoint run as a Freepik task: `task` becomes the node's
 * execution. (Written inline as `execution: freepikTask(…)` TypeScript could not
 * type `body`'s params from the node's schema; as a property of this call it can.)
 */
export function defineFreepikTaskNode<S extends z.ZodObject>({
  task,
  ...node
}: Omit<NodeDefinition<S>, 'execution'> & { task: FreepikTaskSpec<z.output<S>> }): NodeDefinition<S> {
  return defineNode({ ...node, execution: freepikTask(task) });
}

/** The first generated file, for nodes with one `image` output. */
export const firstImage = (task: TaskSnapshot): NodeOutputs => ({ image: task.generated[0] });

/** The first generated file, for nodes with one `video` output. */
export const firstVideo = (task: TaskSnapshot): NodeOutputs => ({ video: task.generated[0] });
