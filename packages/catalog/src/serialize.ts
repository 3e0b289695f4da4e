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
    paramsSchema: paramsJsonSchema(def),
    defaults: parsed.success ? (parsed.data as Record<string, unknown>) : defaultsOf(def),
    mode: def.execution.kind === 'http' ? def.execution.mode : def.execution.kind,
    summaryParams: def.summaryParams ?? [],
    ...(def.docsUrl ? { docsUrl: def.docsUrl } : {}),
  };
}

/**
 * The params as JSON Schema, with only documented number bounds: zod's int() writes the
 * safe-integer range (±9007199254740991) as minimum/maximum, which no Freepik document names.
 * Field metadata travels along: `advanced`, enum `labels`, `ui`, `title`.
 */
function paramsJsonSchema(def: NodeDefinition): Record<string, unknown> {
  return z.toJSONSchema(def.params, {
    io: 'input',
    unrepresentable: 'any',
    override: ({ jsonSchema }) => {
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    },
  }) as Record<string, unknown>;
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
