import { describe, expect, it } from 'vitest';
import { PHOTO_RESTORATION_PROMPT, PHOTO_RESTORATION_UPSCALE, TEMPLATES } from './templates.ts';
import { validatePipeline } from './validate.ts';

describe('templates', () => {
  it.each(TEMPLATES.map((t) => [t.name, t] as const))('%s passes validation', (_name, template) => {
    expect(validatePipeline(template.document).problems).toEqual([]);
  });

  it('photo restoration: photo → Gemini (seed prompt) → stored, and → Precision V2 (seed settings) → stored; both URLs output under honest names', () => {
    const t = TEMPLATES.find((x) => x.id === 'photo-restoration')!;
    const v = validatePipeline(t.document);
    expect(v.inputs).toEqual([expect.objectContaining({ name: 'photo', type: 'image', required: true })]);
    expect(v.outputs.map((o) => o.name).sort()).toEqual(['restored_image', 'restored_url', 'upscaled_image', 'upscaled_url']);
    const ofType = (type: string) => t.document.nodes.filter((n) => n.type === type);
    // Seed 000, verbatim: the Gemini prompt and the recommended Precision V2 settings.
    expect(ofType('freepik.gemini-2-5-flash').map((n) => n.params)).toEqual([{ prompt: PHOTO_RESTORATION_PROMPT }]);
    expect(ofType('freepik.upscaler-precision-v2').map((n) => n.params)).toEqual([{ sharpen: 10, smart_grain: 5, ultra_detail: 40, flavor: 'photo', scale_factor: 4 }]);
    // Every generated image is kept in the file service (seeds 000 and 003).
    expect(ofType('storage.file-upload')).toHaveLength(2);
    const edges = t.document.edges.map((e) => `${e.source}.${e.sourceHandle}->${e.target}.${e.targetHandle}`);
    expect(edges.sort()).toEqual(
      [
        'photo.image->restore.reference_images',
        'restore.image->store_restored.image',
        'store_restored.url->restored_url.value',
        'restore.image->restored_image.value',
        'restore.image->upscale.image',
        'upscale.image->store_upscaled.image',
        'store_upscaled.url->upscaled_url.value',
        'upscale.image->upscaled_image.value',
      ].sort(),
    );
    // Laid out left to right along the data flow.
    const x = (id: string) => t.document.nodes.find((n) => n.id === id)!.position.x;
    for (const e of t.document.edges) expect(x(e.target)).toBeGreaterThan(x(e.source));
  });

  it("photo export: seed 000's Export step, a restored image → the same Precision V2 settings → stored", () => {
    const t = TEMPLATES.find((x) => x.id === 'photo-export')!;
    const v = validatePipeline(t.document);
    expect(v.inputs).toEqual([expect.objectContaining({ name: 'restored', type: 'image', required: true })]);
    expect(v.outputs.map((o) => o.name).sort()).toEqual(['upscaled_image', 'upscaled_url']);
    expect(t.document.nodes.find((n) => n.type === 'freepik.upscaler-precision-v2')!.params).toEqual({ ...PHOTO_RESTORATION_UPSCALE });
    const edges = t.document.edges.map((e) => `${e.source}.${e.sourceHandle}->${e.target}.${e.targetHandle}`);
    expect(edges).toEqual(['restored.image->upscale.image', 'upscale.image->store_upscaled.image', 'store_upscaled.url->upscaled_url.value', 'upscale.image->upscaled_image.value']);
  });
});
