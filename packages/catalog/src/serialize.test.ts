import { describe, expect, it } from 'vitest';
import { NODE_DEFINITIONS } from './registry.ts';
import { serializeCatalog, type CatalogNode } from './serialize.ts';
import { optionLabel } from './nodes/shared-fields.ts';

type JsonSchema = { type?: string; properties?: Record<string, JsonSchema & Record<string, unknown>>; required?: string[]; anyOf?: JsonSchema[] } & Record<string, unknown>;

describe('serializeCatalog', () => {
  const catalog = serializeCatalog();
  const byId = (id: string) => catalog.find((n) => n.id === id)!;

  it('lists every registered node as plain JSON', () => {
    expect(catalog.map((n) => n.id)).toEqual(NODE_DEFINITIONS.map((d) => d.id));
    const roundTrip = JSON.parse(JSON.stringify(catalog));
    expect(roundTrip).toEqual(catalog);
  });

  it('Precision V2 params carry ranges, enums and defaults as JSON Schema', () => {
    const node = byId('freepik.upscaler-precision-v2');
    const schema = node.paramsSchema as JsonSchema;
    expect(schema.type).toBe('object');
    const props = schema.properties!;
    expect(props.sharpen).toMatchObject({ type: 'integer', minimum: 0, maximum: 100, default: 7 });
    expect(props.smart_grain).toMatchObject({ minimum: 0, maximum: 100, default: 7 });
    expect(props.ultra_detail).toMatchObject({ minimum: 0, maximum: 100, default: 30 });
    expect(props.flavor).toMatchObject({ enum: ['sublime', 'photo', 'photo_denoiser'] });
    expect(props.scale_factor!.default).toBeUndefined();
    expect(schema.required).toEqual(['scale_factor']);
    expect(props.scale_factor!.anyOf).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'integer', minimum: 2, maximum: 16 }), expect.objectContaining({ type: 'string' })]),
    );
    expect(props.filter_nsfw).toBeUndefined();
    expect(node.defaults).toEqual({ sharpen: 7, smart_grain: 7, ultra_detail: 30 });
    expect(node.mode).toBe('async');
    expect(node.inputs).toEqual([expect.objectContaining({ name: 'image', type: 'image', required: true, accepts: 'both' })]);
  });

  it('Gemini: prompt is a required param, reference_images a list port of at most 3', () => {
    const node = byId('freepik.gemini-2-5-flash');
    const schema = node.paramsSchema as JsonSchema;
    expect(schema.required).toEqual(['prompt']);
    expect(schema.properties!.prompt).toMatchObject({ type: 'string', minLength: 1, ui: 'textarea' });
    expect(node.inputs.find((p) => p.name === 'reference_images')).toMatchObject({ type: 'image[]', maxItems: 3, accepts: 'both' });
    expect(node.defaults).toEqual({});
  });

  it('input and output nodes expose their name param with its default and pattern', () => {
    expect(byId('input.image')).toMatchObject({ mode: 'input', defaults: { name: 'image' } });
    expect(byId('input.text')).toMatchObject({ mode: 'input', defaults: { name: 'text' } });
    expect(byId('output')).toMatchObject({ mode: 'output', defaults: { name: 'result' } });
    const name = (byId('input.image').paramsSchema as JsonSchema).properties!.name!;
    expect(name).toMatchObject({ type: 'string', default: 'image' });
    expect(typeof name.pattern).toBe('string');
  });

  it('the file upload node is sync and takes a file', () => {
    const node = byId('storage.file-upload');
    expect(node.mode).toBe('sync');
    expect(node.inputs).toEqual([expect.objectContaining({ name: 'image', accepts: 'file', required: true })]);
    expect(node.outputs.map((o) => o.name)).toEqual(['url', 'image']);
  });
});

/** Every schema in a node's params, with its path (`filters.people.age`, `styling.colors[]`). */
function* schemasOf(node: CatalogNode): Generator<{ path: string; key: string; schema: JsonSchema }> {
  function* walk(schema: JsonSchema, path: string, key: string): Generator<{ path: string; key: string; schema: JsonSchema }> {
    yield { path, key, schema };
    for (const [k, sub] of Object.entries(schema.properties ?? {})) yield* walk(sub, path ? `${path}.${k}` : k, k);
    for (const branch of schema.anyOf ?? []) yield* walk(branch, `${path}|`, key);
    if (schema.items) yield* walk(schema.items as JsonSchema, `${path}[]`, key);
  }
  yield* walk(node.paramsSchema as JsonSchema, '', '');
}

/** The controls a form shows for a field: an object counts its sub-fields. */
function controls(schema: JsonSchema): number {
  const props = Object.values(schema.properties ?? {});
  return props.length ? props.reduce((n, p) => n + controls(p), 0) : 1;
}

describe('the catalog as the editor reads it', () => {
  const catalog = serializeCatalog();
  const byId = (id: string) => catalog.find((n) => n.id === id)!;

  it('names every enum value for people: labels declared with the schema, no snake_case or lowercase codes', () => {
    let enums = 0;
    for (const node of catalog) {
      for (const { path, schema } of schemasOf(node)) {
        const values = (schema.enum as unknown[] | undefined) ?? [];
        // A union of string constants is a choice too; numeric ones (png_size 512 | 256 …) read as they are.
        if (!values.length) continue;
        enums++;
        const labels = schema.labels as Record<string, string> | undefined;
        expect(labels, `${node.id} ${path}`).toBeDefined();
        for (const v of values) {
          const label = labels![String(v)];
          expect(label, `${node.id} ${path} ${String(v)}`).toBeTruthy();
          expect(label, `${node.id} ${path} ${String(v)}`).not.toMatch(/_/);
          expect(label, `${node.id} ${path} ${String(v)}`).toMatch(/^[A-Z0-9]/);
        }
      }
    }
    expect(enums).toBeGreaterThan(40);
    const props = (id: string) => (byId(id).paramsSchema as JsonSchema).properties!;
    expect(props('freepik.mystic').aspect_ratio!.labels).toMatchObject({ square_1_1: 'Square 1:1', smartphone_vertical_9_20: 'Smartphone vertical 9:20' });
    expect(props('freepik.mystic').resolution!.labels).toEqual({ '1k': '1K', '2k': '2K', '4k': '4K' });
    expect(props('freepik.relight').style!.labels).toMatchObject({ contrasted_n_hdr: 'Contrasted & HDR', darker_but_realistic: 'Darker but realistic' });
    expect(props('freepik.mystic').engine!.labels).toMatchObject({ magnific_sparkle: 'Magnific Sparkle' });
    // The stock filters' 0 | 1 read Off / On.
    const landscape = (props('freepik.stock-resources-search').filters!.properties!.orientation as JsonSchema).properties!.landscape!;
    expect(landscape.labels).toEqual({ 0: 'Off', 1: 'On' });
  });

  it('spells enum values as a person would', () => {
    expect(optionLabel('square_1_1')).toBe('Square 1:1');
    expect(optionLabel('social_story_9_16')).toBe('Social story 9:16');
    expect(optionLabel('art_n_illustration')).toBe('Art & illustration');
    expect(optionLabel('3d-render')).toBe('3D render');
    expect(optionLabel('2k')).toBe('2K');
    expect(optionLabel('young-adult')).toBe('Young adult');
    expect(optionLabel('png')).toBe('PNG');
  });

  it('has only documented number bounds: none of zod\'s ±9007199254740991', () => {
    for (const node of catalog) {
      for (const { path, schema } of schemasOf(node)) {
        for (const bound of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) {
          const n = schema[bound];
          if (typeof n === 'number') expect(Math.abs(n), `${node.id} ${path} ${bound}`).toBeLessThanOrEqual(1e12);
        }
      }
    }
    const props = (byId('freepik.stock-resources-search').paramsSchema as JsonSchema).properties!;
    // "It must be greater than 0" (S4:6217): a minimum, and no invented maximum.
    expect(props.limit).toMatchObject({ type: 'integer', minimum: 1 });
    expect(props.limit!.maximum).toBeUndefined();
    expect(props.page).toMatchObject({ minimum: 1, maximum: 100 });
  });

  it('writes no help that only repeats its field\'s name', () => {
    const words = (t: string) => new Set(t.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean).map((w) => w.replace(/s$/, '')));
    for (const node of catalog) {
      for (const { path, key, schema } of schemasOf(node)) {
        if (typeof schema.description !== 'string' || !key) continue;
        const name = words(String(schema.title ?? key));
        const extra = [...words(schema.description)].filter((w) => !name.has(w));
        expect(extra.length, `${node.id} ${path}: "${schema.description}"`).toBeGreaterThan(0);
      }
    }
  });

  it('declares the advanced fields, so long forms open with the few that matter', () => {
    for (const node of catalog) {
      const schema = node.paramsSchema as JsonSchema;
      for (const [key, field] of Object.entries(schema.properties ?? {})) {
        // A required field is never tucked away.
        if (field.advanced) expect(schema.required ?? [], `${node.id} ${key}`).not.toContain(key);
      }
      // The form opens with at most 8 controls.
      const primary = Object.values(schema.properties ?? {}).filter((f) => !f.advanced);
      expect(primary.reduce((n, f) => n + controls(f), 0), node.id).toBeLessThanOrEqual(8);
    }
    const opening = (id: string) =>
      Object.entries((byId(id).paramsSchema as JsonSchema).properties!)
        .filter(([, f]) => !f.advanced)
        .map(([k]) => k);
    expect(opening('freepik.relight')).toEqual(['prompt', 'light_transfer_strength', 'change_background', 'style']);
    expect(opening('freepik.mystic')).toEqual(['prompt', 'resolution', 'aspect_ratio', 'model']);
    expect(opening('freepik.stock-resources-search')).toEqual(['term', 'order', 'page', 'limit']);
    expect(opening('freepik.stock-icons-search')).toEqual(['term', 'order', 'page', 'per_page']);
    expect(opening('freepik.kling-v2-1-std')).toEqual(['duration', 'prompt']);
  });

  it('gives prompts their documented length limit (Kling: 2500 characters)', () => {
    for (const id of ['freepik.kling-v2', 'freepik.kling-v2-1-pro', 'freepik.kling-elements-std']) {
      const props = (byId(id).paramsSchema as JsonSchema).properties!;
      expect(props.prompt, id).toMatchObject({ type: 'string', maxLength: 2500, ui: 'textarea' });
      expect(props.negative_prompt, id).toMatchObject({ maxLength: 2500, advanced: true });
    }
  });
});
