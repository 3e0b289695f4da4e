import { describe, expect, it } from 'vitest';
import { TEMPLATES } from './templates.ts';
import { pipelineDocumentSchema } from './document.ts';
import { validatePipeline } from './validate.ts';

const restoration = () => structuredClone(TEMPLATES.find((t) => t.id === 'photo-restoration')!.document);

describe('bypass', () => {
  it('a bypassed Gemini passes its reference image through, and its prompt no longer matters', () => {
    const doc = restoration();
    const restore = doc.nodes.find((n) => n.id === 'restore')!;
    restore.bypass = true;
    restore.params = {};
    const v = validatePipeline(doc);
    expect(v.problems).toEqual([]);
    expect(v.document?.nodes.find((n) => n.id === 'restore')?.bypass).toBe(true);
  });

  it('refuses an output with no same-typed input, naming node and port', () => {
    const v = validatePipeline({
      nodes: [
        { id: 'p', type: 'input.image', params: { name: 'photo' } },
        { id: 'k', type: 'freepik.kling-v2', label: 'Animate', params: { prompt: 'x' }, bypass: true },
        { id: 'o', type: 'output', params: { name: 'video' } },
      ],
      edges: [
        { id: 'e1', source: 'p', sourceHandle: 'image', target: 'k', targetHandle: 'image' },
        { id: 'e2', source: 'k', sourceHandle: 'video', target: 'o', targetHandle: 'value' },
      ],
    });
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([
      { code: 'invalid_bypass', nodeId: 'k', field: 'video', message: `cannot bypass "Animate" (k): output 'video' (video) has no video input to pass through` },
    ]);
  });

  it('refuses bypassing Input and Output nodes', () => {
    const doc = restoration();
    doc.nodes.find((n) => n.id === 'upscaled_image')!.bypass = true;
    expect(validatePipeline(doc).problems.map((p) => [p.code, p.nodeId])).toEqual([['invalid_bypass', 'upscaled_image']]);
  });

  it('keeps notes and groups in the document; old documents without them read unchanged', () => {
    const doc = {
      ...restoration(),
      annotations: [
        { id: 'note-1', kind: 'note', text: 'Remember the prompt', color: '#ffd866', position: { x: 1, y: 2 }, width: 200, height: 120 },
        { id: 'group-1', kind: 'group', text: 'Restore', position: { x: 0, y: 0 }, width: 600, height: 400 },
      ],
    };
    const v = validatePipeline(doc);
    expect(v.ok).toBe(true);
    expect(v.document?.annotations).toEqual(doc.annotations);
    expect(validatePipeline(restoration()).document).not.toHaveProperty('annotations');
    expect(pipelineDocumentSchema.safeParse(restoration()).success).toBe(true);
    const bad = validatePipeline({ ...doc, annotations: [{ id: 'x', kind: 'sticker', position: { x: 0, y: 0 }, width: 10, height: 10 }] });
    expect(bad.problems[0]).toMatchObject({ code: 'invalid_document', field: 'annotations.0.kind' });
  });
});
