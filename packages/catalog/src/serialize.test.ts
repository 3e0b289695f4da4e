import { describe, expect, it } from 'vitest';
import { NODE_DEFINITIONS } from './registry.ts';
import { serializeCatalog } from './serialize.ts';

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
