import { describe, expect, it } from 'vitest';
import type { PipelineDocument } from './document.ts';
import { descendants, incomingLinks, readyNodes, sinkNodes, topologicalGenerations } from './plan.ts';
import { TEMPLATES } from './templates.ts';

const restoration = TEMPLATES[0]!.document;

// Two inputs feed one Gemini node's reference list; a side branch uploads the input directly.
const branching: PipelineDocument = {
  version: 1,
  nodes: [
    { id: 'a', type: 'input.image', params: { name: 'a' }, position: { x: 0, y: 0 } },
    { id: 'b', type: 'input.image', params: { name: 'b' }, position: { x: 0, y: 0 } },
    { id: 'g', type: 'freepik.gemini-2-5-flash', params: { prompt: 'x' }, position: { x: 0, y: 0 } },
    { id: 'side', type: 'storage.file-upload', params: {}, position: { x: 0, y: 0 } },
    { id: 'out', type: 'output', params: { name: 'out' }, position: { x: 0, y: 0 } },
    { id: 'out2', type: 'output', params: { name: 'out2' }, position: { x: 0, y: 0 } },
  ],
  edges: [
    { id: 'e2', source: 'b', sourceHandle: 'image', target: 'g', targetHandle: 'reference_images' },
    { id: 'e1', source: 'a', sourceHandle: 'image', target: 'g', targetHandle: 'reference_images' },
    { id: 'e3', source: 'g', sourceHandle: 'image', target: 'out', targetHandle: 'value' },
    { id: 'e4', source: 'a', sourceHandle: 'image', target: 'side', targetHandle: 'image' },
    { id: 'e5', source: 'side', sourceHandle: 'url', target: 'out2', targetHandle: 'value' },
  ],
};

describe('topologicalGenerations', () => {
  it('orders the restoration template in waves', () => {
    expect(topologicalGenerations(restoration).map((wave) => [...wave].sort())).toEqual([
      ['photo'],
      ['restore'],
      ['restored_image', 'store_restored', 'upscale'],
      ['restored_url', 'store_upscaled', 'upscaled_image'],
      ['upscaled_url'],
    ]);
  });
  it('puts independent nodes in the same wave', () => {
    const waves = topologicalGenerations(branching);
    expect(waves[0]!.sort()).toEqual(['a', 'b']);
    expect(waves[1]!.sort()).toEqual(['g', 'side']);
    expect(waves[2]!.sort()).toEqual(['out', 'out2']);
  });
});

describe('readyNodes', () => {
  it('starts with the nodes that have no upstream', () => {
    expect(readyNodes(branching, new Set())).toEqual(['a', 'b']);
  });
  it('a node is ready only when every upstream node finished', () => {
    expect(readyNodes(branching, new Set(['a']))).toEqual(['b', 'side']);
    expect(readyNodes(branching, new Set(['a', 'b']))).toEqual(['g', 'side']);
    expect(readyNodes(branching, new Set(['a', 'b', 'g', 'side']))).toEqual(['out', 'out2']);
    expect(readyNodes(branching, new Set(branching.nodes.map((n) => n.id)))).toEqual([]);
  });
});

describe('descendants', () => {
  it('lists everything downstream of a failed node', () => {
    expect(descendants(branching, 'a')).toEqual(['g', 'side', 'out', 'out2']);
    expect(descendants(branching, 'side')).toEqual(['out2']);
    expect([...descendants(restoration, 'restore')].sort()).toEqual(
      ['restored_image', 'restored_url', 'store_restored', 'store_upscaled', 'upscale', 'upscaled_image', 'upscaled_url'],
    );
    expect(descendants(restoration, 'upscale').sort()).toEqual(['store_upscaled', 'upscaled_image', 'upscaled_url']);
  });
  it('is empty for sinks and unknown nodes', () => {
    expect(descendants(branching, 'out')).toEqual([]);
    expect(descendants(branching, 'nope')).toEqual([]);
  });
});

describe('incomingLinks', () => {
  it('groups links per target port in document order', () => {
    expect(incomingLinks(branching, 'g')).toEqual({
      reference_images: [
        { edgeId: 'e2', source: 'b', sourceHandle: 'image' },
        { edgeId: 'e1', source: 'a', sourceHandle: 'image' },
      ],
    });
    expect(incomingLinks(branching, 'a')).toEqual({});
    expect(incomingLinks(restoration, 'restored_url')).toEqual({ value: [{ edgeId: 'store_restored-restored_url', source: 'store_restored', sourceHandle: 'url' }] });
  });
});

describe('sinkNodes', () => {
  it('lists nodes nothing depends on', () => {
    expect(sinkNodes(branching).sort()).toEqual(['out', 'out2']);
  });
});
