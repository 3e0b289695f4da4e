import { describe, expect, it } from 'vitest';
import { PHOTO_RESTORATION_PROMPT, TEMPLATES } from './templates.ts';
import { validatePipeline } from './validate.ts';

describe('templates', () => {
  it.each(TEMPLATES.map((t) => [t.name, t] as const))('%s passes validation', (_name, template) => {
    expect(validatePipeline(template.document).problems).toEqual([]);
  });

  it('photo restoration: photo → Gemini (seed prompt) → Precision V2 (recommended settings) → upload → outputs', () => {
    const t = TEMPLATES.find((x) => x.id === 'photo-restoration')!;
    const v = validatePipeline(t.document);
    expect(v.inputs).toEqual([expect.objectContaining({ name: 'photo', type: 'image', required: true })]);
    expect(v.outputs.map((o) => o.name).sort()).toEqual(['image', 'restored_url']);
    const byType = (type: string) => t.document.nodes.find((n) => n.type === type)!;
    expect(byType('freepik.gemini-2-5-flash').params).toEqual({ prompt: PHOTO_RESTORATION_PROMPT });
    expect(byType('freepik.upscaler-precision-v2').params).toEqual({ sharpen: 10, smart_grain: 5, ultra_detail: 40, flavor: 'photo', scale_factor: 4 });
    const edges = t.document.edges.map((e) => `${e.source}.${e.sourceHandle}->${e.target}.${e.targetHandle}`);
    expect(edges).toEqual(
      expect.arrayContaining([
        'photo.image->restore.reference_images',
        'restore.image->upscale.image',
        'upscale.image->upload.image',
        'upload.url->restored_url.value',
        'upscale.image->image.value',
      ]),
    );
    // Laid out left to right along the data flow.
    const x = (id: string) => t.document.nodes.find((n) => n.id === id)!.position.x;
    for (const e of t.document.edges) expect(x(e.target)).toBeGreaterThan(x(e.source));
  });
});
