/**
 * Just enough JSON Schema (draft 2020-12, as zod's toJSONSchema writes it) to
 * build param forms and mark invalid values at their field before the server does.
 */
export type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  title?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  ui?: string;
  /** The catalog's names for enum values, by the value as text (`square_1_1` → "Square 1:1"). */
  labels?: Record<string, string>;
  /** The catalog keeps this field behind "Advanced settings". */
  advanced?: boolean;
  [key: string]: unknown;
};

export type FieldKind =
  | 'image'
  | 'textarea'
  | 'text'
  | 'select'
  | 'switch'
  | 'range'
  | 'number'
  | 'object'
  | 'string-list'
  | 'object-list'
  | 'json';

/** anyOf/oneOf branches minus `null`, which only means "may be left empty". */
function branches(schema: JsonSchema): JsonSchema[] {
  return (schema.anyOf ?? schema.oneOf ?? []).filter((b) => b.type !== 'null');
}

function typeOf(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  return schema.type;
}

/**
 * The schema a field's control is built from: for a union it is the numeric
 * branch (scale_factor: int | "digits" is edited as a number), else an enum
 * branch, else the first branch.
 */
export function controlSchema(schema: JsonSchema): JsonSchema {
  const bs = branches(schema);
  if (!bs.length) return schema;
  if (bs.length === 1) return { ...bs[0], ...pick(schema) };
  // A union of constants (the stock filters' 0 | 1, png_size 512 | 256 | …) is a choice among them.
  if (bs.every((b) => b.const !== undefined)) return { type: typeOf(bs[0]), enum: bs.map((b) => b.const), ...pick(schema) };
  const numeric = bs.find((b) => typeOf(b) === 'integer' || typeOf(b) === 'number');
  const enumBranch = bs.find((b) => b.enum);
  return { ...(numeric ?? enumBranch ?? bs[0]), ...pick(schema) };
}

/** Words that say nothing a label does not: "the", a plural "s". */
const FILLER = new Set(['a', 'an', 'the', 'of', 'this', 'value']);
const words = (t: string) =>
  t
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w && !FILLER.has(w))
    .map((w) => (w.length > 3 ? w.replace(/s$/, '') : w));

/** Help that only says the label again ("Seed" / "seed.", "Photos" under "Photo") is noise. */
export function usefulHelp(label: string, help: string | undefined): string | undefined {
  if (!help) return undefined;
  const named = new Set(words(label));
  return words(help).some((w) => !named.has(w)) ? help : undefined;
}

/** The catalog's label of an enum value, when it has one. */
export function valueLabel(schema: JsonSchema, value: unknown): string | undefined {
  return controlSchema(schema).labels?.[String(value)];
}

/** What a user reads for an enum value: the catalog's label, else the value itself. */
export function optionText(schema: JsonSchema, value: unknown): string {
  return valueLabel(schema, value) ?? String(value);
}

function pick(schema: JsonSchema): JsonSchema {
  const out: Record<string, unknown> = {};
  for (const k of ['default', 'description', 'title', 'ui', 'labels', 'advanced'] as const) if (schema[k] !== undefined) out[k] = schema[k];
  return out as JsonSchema;
}

export function fieldKind(schema: JsonSchema): FieldKind {
  const s = controlSchema(schema);
  if (s.ui === 'image') return 'image';
  if (s.enum || s.const !== undefined) return 'select';
  const t = typeOf(s);
  if (t === 'boolean') return 'switch';
  if (t === 'integer' || t === 'number') {
    // A slider only for a human-sized range; an open-ended one gets a number box.
    const span = (s.maximum ?? Infinity) - (s.minimum ?? -Infinity);
    return span <= 100_000 ? 'range' : 'number';
  }
  if (t === 'string') {
    if (s.ui === 'textarea' || (s.maxLength ?? 0) > 200) return 'textarea';
    return 'text';
  }
  if (t === 'object' && s.properties) return 'object';
  if (t === 'array' && s.items && typeOf(s.items) === 'string' && !s.items.enum) return 'string-list';
  if (t === 'array' && s.items && typeOf(s.items) === 'object' && s.items.properties) return 'object-list';
  return 'json';
}

/** Why a value breaks its schema, in a sentence; null when it is fine. `undefined` is "not set". */
export function valueProblem(schema: JsonSchema, value: unknown, required = false): string | null {
  if (value === undefined || value === null || value === '') {
    return required && schema.default === undefined ? 'required' : null;
  }
  const bs = branches(schema);
  if (bs.length) {
    const problems = bs.map((b) => valueProblem(b, value, required));
    if (problems.some((p) => p === null)) return null;
    return problems[0];
  }
  if (schema.const !== undefined && value !== schema.const) return `must be ${JSON.stringify(schema.const)}`;
  if (schema.enum && !schema.enum.includes(value)) return `choose one of ${schema.enum.map((v) => schema.labels?.[String(v)] ?? String(v)).join(', ')}`;
  const t = typeOf(schema);
  switch (t) {
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || Number.isNaN(value)) return 'must be a number';
      if (t === 'integer' && !Number.isInteger(value)) return 'must be a whole number';
      if (schema.minimum !== undefined && value < schema.minimum) return `must be at least ${schema.minimum}`;
      if (schema.maximum !== undefined && value > schema.maximum) return `must be at most ${schema.maximum}`;
      if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum)
        return `must be more than ${schema.exclusiveMinimum}`;
      if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum)
        return `must be less than ${schema.exclusiveMaximum}`;
      return null;
    }
    case 'string': {
      if (typeof value !== 'string') return 'must be text';
      if (schema.minLength !== undefined && value.length < schema.minLength)
        return schema.minLength === 1 ? 'required' : `needs at least ${schema.minLength} characters`;
      if (schema.maxLength !== undefined && value.length > schema.maxLength)
        return `at most ${schema.maxLength} characters (now ${value.length})`;
      if (schema.pattern) {
        try {
          if (!new RegExp(schema.pattern, 'u').test(value)) return `does not match the expected format (${schema.pattern})`;
        } catch {
          return null;
        }
      }
      return null;
    }
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be on or off';
    case 'array': {
      if (!Array.isArray(value)) return 'must be a list';
      if (schema.minItems !== undefined && value.length < schema.minItems) return `needs at least ${schema.minItems} items`;
      if (schema.maxItems !== undefined && value.length > schema.maxItems) return `takes at most ${schema.maxItems} items`;
      if (schema.items) {
        for (let i = 0; i < value.length; i++) {
          const p = valueProblem(schema.items, value[i], true);
          if (p) return `item ${i + 1}: ${p}`;
        }
      }
      return null;
    }
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return 'must be an object';
      const o = value as Record<string, unknown>;
      for (const [k, sub] of Object.entries(schema.properties ?? {})) {
        const p = valueProblem(sub, o[k], schema.required?.includes(k) ?? false);
        if (p) return `${k}: ${p}`;
      }
      return null;
    }
    default:
      return null;
  }
}

/** The object schema's fields, in declaration order. */
export function schemaFields(schema: Record<string, unknown>): { key: string; schema: JsonSchema; required: boolean }[] {
  const s = schema as JsonSchema;
  const req = new Set(s.required ?? []);
  return Object.entries(s.properties ?? {}).map(([key, sub]) => ({ key, schema: sub, required: req.has(key) }));
}

export function humanize(key: string): string {
  const s = key.replace(/[_-]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Short text of a param value for the node face. */
export function summarize(value: unknown, max = 60): string {
  if (value === undefined || value === null || value === '') return '—';
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
