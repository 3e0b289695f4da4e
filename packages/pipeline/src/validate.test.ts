import { defineNode } from '@pikflow/catalog';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TEMPLATES } from './templates.ts';
import { MAX_PROMPT_LENGTH, validatePipeline } from './validate.ts';

const node = (id: string, type: string, params: Record<string, unknown> = {}, label?: string) => ({ id, type, params, ...(label ? { label } : {}) });
const edge = (id: string, source: string, sourceHandle: string, target: string, targetHandle: string) => ({ id, source, sourceHandle, target, targetHandle });

describe('validatePipeline', () => {
  it('returns the REST inputs, outputs and a zod input schema', () => {
    const v = validatePipeline({
      nodes: [
        node('p', 'input.image', { name: 'photo' }),
        node('t', 'input.text', { name: 'prompt', text: 'restore it' }),
        node('g', 'freepik.gemini-2-5-flash'),
        node('o', 'output', { name: 'restored' }),
      ],
      edges: [edge('e1', 'p', 'image', 'g', 'reference_images'), edge('e2', 't', 'text', 'g', 'prompt'), edge('e3', 'g', 'image', 'o', 'value')],
    });
    // Gemini's required prompt param is satisfied by the linked prompt input.
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.inputs).toEqual([
      expect.objectContaining({ name: 'photo', type: 'image', nodeId: 'p', required: true }),
      expect.objectContaining({ name: 'prompt', type: 'text', nodeId: 't', required: false, default: 'restore it' }),
    ]);
    expect(v.outputs).toEqual([{ name: 'restored', nodeId: 'o' }]);
    expect(v.inputSchema.safeParse({ photo: 'x' }).success).toBe(true);
    expect(v.inputSchema.safeParse({ prompt: 'x' }).success).toBe(false);
    expect(v.inputSchema.safeParse({ photo: 'x', other: 1 }).success).toBe(false);
    expect(v.document?.nodes[0]!.position).toEqual({ x: 0, y: 0 });
  });

  it('a single image fills an image[] slot, up to maxItems links', () => {
    const nodes = [node('a', 'input.image', { name: 'a' }), node('b', 'input.image', { name: 'b' }), node('c', 'input.image', { name: 'c' })];
    const v = validatePipeline({
      nodes: [...nodes, node('g', 'freepik.gemini-2-5-flash', { prompt: 'x' }), node('o', 'output')],
      edges: [
        edge('e1', 'a', 'image', 'g', 'reference_images'),
        edge('e2', 'b', 'image', 'g', 'reference_images'),
        edge('e3', 'c', 'image', 'g', 'reference_images'),
        edge('e4', 'g', 'image', 'o', 'value'),
      ],
    });
    expect(v.problems).toEqual([]);
  });

  it('uses the node label in messages when the designer set one', () => {
    const v = validatePipeline({ nodes: [node('up', 'freepik.upscaler-precision-v2', { sharpen: 500 }, 'Big upscale'), node('o', 'output')], edges: [] });
    expect(v.problems.find((p) => p.field === 'sharpen')!.message).toBe('"Big upscale" (up): sharpen must be at most 100 (allowed: 0–100)');
  });

  it('a required input port is satisfied by a same-named param', () => {
    const custom = defineNode({
      id: 'test.caption',
      title: 'Caption',
      category: 'analysis',
      description: 'test node',
      inputs: [{ name: 'text', type: 'text', required: true }],
      outputs: [{ name: 'text', type: 'text' }],
      params: z.object({ text: z.string().optional() }),
      execution: { kind: 'http', service: 'freepik', mode: 'sync', request: () => ({ method: 'GET', path: '/' }), extract: () => ({}) },
    });
    const getNode = (type: string) => (type === custom.id ? (custom as never) : undefined);
    const withParam = validatePipeline({ nodes: [node('c', 'test.caption', { text: 'hi' })], edges: [] }, { getNode });
    expect(withParam.problems.map((p) => p.code)).toEqual(['no_output']);
    const without = validatePipeline({ nodes: [node('c', 'test.caption')], edges: [] }, { getNode });
    expect(without.problems.map((p) => `${p.code}:${p.field}`)).toEqual(['missing_input:text', 'no_output:undefined']);
    expect(without.problems[0]!.message).toBe('node c (Caption) needs its text input: link a text to it or set text');
  });

  it('default image URLs follow the URL rules unless private URLs are allowed', () => {
    const doc = {
      nodes: [node('p', 'input.image', { name: 'photo', image: 'http://127.0.0.1:8080/a.png' }), node('o', 'output')],
      edges: [edge('e', 'p', 'image', 'o', 'value')],
    };
    expect(validatePipeline(doc).problems.map((p) => p.field)).toEqual(['image']);
    expect(validatePipeline(doc, { allowPrivateUrls: true }).problems).toEqual([]);
    expect(validatePipeline(doc, { allowPrivateUrls: true }).inputs[0]).toMatchObject({ required: false, default: 'http://127.0.0.1:8080/a.png' });
  });

  it('never throws, whatever it is given', () => {
    for (const junk of [null, undefined, 42, [], { nodes: 'x', edges: [] }, { nodes: [null, 1, 'x'], edges: [{}] }, { nodes: [{ id: 'a', type: 'output', params: [] }], edges: [] }]) {
      const v = validatePipeline(junk);
      expect(v.ok).toBe(false);
      expect(v.problems.length).toBeGreaterThan(0);
      for (const p of v.problems) expect(p.message.length).toBeGreaterThan(5);
    }
  });

  it('refuses documents over the size limits', () => {
    const nodes = Array.from({ length: 501 }, (_, i) => node(`n${i}`, 'output'));
    expect(validatePipeline({ nodes, edges: [] }).problems).toEqual([
      { code: 'invalid_document', field: 'nodes', message: 'A pipeline may have at most 500 nodes (this one has 501)' },
    ]);
  });

  it('templates are valid', () => {
    for (const t of TEMPLATES) expect(validatePipeline(t.document).ok).toBe(true);
  });
});

describe('node settings that hold URLs or names', () => {
  const relight = (params: Record<string, unknown>) => ({
    version: 1,
    nodes: [
      { id: 'in', type: 'input.image', params: { name: 'photo' }, position: { x: 0, y: 0 } },
      { id: 'light', type: 'freepik.relight', params, position: { x: 0, y: 0 } },
      { id: 'out', type: 'output', params: { name: 'image' }, position: { x: 0, y: 0 } },
    ],
    edges: [
      { id: 'e1', source: 'in', sourceHandle: 'image', target: 'light', targetHandle: 'image' },
      { id: 'e2', source: 'light', sourceHandle: 'image', target: 'out', targetHandle: 'value' },
    ],
  });

  it('a loopback, private or non-http URL in any setting is refused, naming node and field', () => {
    for (const url of ['http://127.0.0.1:3000/api/runs', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/x.png', 'http://localhost/a.png', 'ftp://example.com/a.png', '//10.0.0.1/a.png', 'http:/127.0.0.1/a.png', 'file:/etc/passwd']) {
      const problems = validatePipeline(relight({ transfer_light_from_reference_image: url })).problems;
      expect(problems, url).toHaveLength(1);
      expect(problems[0]).toMatchObject({ code: 'invalid_param', nodeId: 'light', field: 'transfer_light_from_reference_image' });
    }
    expect(validatePipeline(relight({ transfer_light_from_reference_image: 'https://images.example.com/light.jpg' })).problems).toEqual([]);
    expect(validatePipeline(relight({ transfer_light_from_reference_image: 'http://127.0.0.1:9/a.png' }), { allowPrivateUrls: true }).problems).toEqual([]);
  });

  it('an over-long prompt is refused with the limit', () => {
    const problems = validatePipeline(relight({ prompt: 'x'.repeat(MAX_PROMPT_LENGTH + 1) })).problems;
    expect(problems).toMatchObject([{ nodeId: 'light', field: 'prompt', message: expect.stringContaining(`at most ${MAX_PROMPT_LENGTH} characters`) }]);
  });

  it('inputs and outputs named __proto__ or constructor are refused when saved', () => {
    for (const name of ['__proto__', 'constructor']) {
      const doc = relight({});
      doc.nodes[0]!.params = { name };
      expect(validatePipeline(doc).problems).toMatchObject([{ nodeId: 'in', field: 'name', message: expect.stringContaining('reserved') }]);
    }
  });
});
