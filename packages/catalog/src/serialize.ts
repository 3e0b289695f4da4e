import { z } from 'zod';
import type { Category, InputPort, NodeDefinition, OutputPort } from './define-node.ts';
import { NODE_DEFINITIONS } from './registry.ts';

/** What the editor needs to draw a node and its form: no functions, only JSON. */
export interface CatalogNode {
  id: string;
  title: string;
  category: Category;
  description: string;
  inputs: InputPort[];
  outputs: OutputPort[];
  /** JSON Schema (draft 2020-12) of the params, as the user types them. */
  paramsSchema: Record<string, unknown>;
  /** Params with every default filled in. */
  defaults: Record<string, unknown>;
  mode: 'input' | 'output' | 'async' | 'sync' | 'webhook-only';
  summaryParams: string[];
  docsUrl?: string;
}

export function serializeNode(def: NodeDefinition): CatalogNode {
  const parsed = def.params.safeParse({});
  return {
    id: def.id,
    title: def.title,
    category: def.category,
    description: def.description,
    inputs: def.inputs,
    outputs: def.outputs,
    paramsSchema: z.toJSONSchema(def.params, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    defaults: parsed.success ? (parsed.data as Record<string, unknown>) : defaultsOf(def),
    mode: def.execution.kind === 'http' ? def.execution.mode : def.execution.kind,
    summaryParams: def.summaryParams ?? [],
    ...(def.docsUrl ? { docsUrl: def.docsUrl } : {}),
  };
}

/** Defaults for schemas with required fields: parse each field alone. */
function defaultsOf(def: NodeDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(def.params.shape)) {
    const r = (field as z.ZodType).safeParse(undefined);
    if (r.success && r.data !== undefined) out[key] = r.data;
  }
  return out;
}

export function serializeCatalog(): CatalogNode[] {
  return NODE_DEFINITIONS.map(serializeNode);
}
