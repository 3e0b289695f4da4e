import { describe, expect, it } from 'vitest';
import { checkImageLimits, describeImageLimits, formatAspect } from './image-limits.ts';
import { NODE_DEFINITIONS } from './registry.ts';
import { serializeCatalog } from './serialize.ts';
import { klingImageLimits } from './nodes/shared-fields.ts';

const MB = 1024 * 1024;

describe('checkImageLimits', () => {
  it("refuses an image under Kling's 300×300 px and names both sizes", () => {
    expect(checkImageLimits(klingImageLimits, { width: 200, height: 200, bytes: 1000, mime: 'image/png' })).toEqual([
      'is 200×200 px; it must be at least 300×300 px',
    ]);
  });

  it('takes the edges of the ranges and refuses past them', () => {
    expect(checkImageLimits(klingImageLimits, { width: 300, height: 300, bytes: 10 * MB })).toEqual([]);
    expect(checkImageLimits(klingImageLimits, { width: 750, height: 300 })).toEqual([]); // exactly 2.5:1
    expect(checkImageLimits(klingImageLimits, { width: 300, height: 750 })).toEqual([]); // exactly 1:2.5
    expect(checkImageLimits(klingImageLimits, { width: 760, height: 300 })).toEqual(['is 760×300 px (aspect 2.53:1); the aspect must be 1:2.5–2.5:1']);
    expect(checkImageLimits(klingImageLimits, { width: 300, height: 1000 })).toEqual(['is 300×1000 px (aspect 1:3.33); the aspect must be 1:2.5–2.5:1']);
    expect(checkImageLimits(klingImageLimits, { width: 400, height: 400, bytes: 10 * MB + 1 })).toEqual(['is 10 MB; it must be at most 10 MB']);
  });

  it('lists every broken limit at once', () => {
    const broken = checkImageLimits({ ...klingImageLimits, formats: ['image/jpeg', 'image/png'] }, { width: 100, height: 400, bytes: 12 * MB, mime: 'image/webp' });
    expect(broken).toHaveLength(4);
    expect(broken.at(-1)).toBe('is WEBP; it must be JPG or PNG');
  });

  it('does not judge what is not known', () => {
    expect(checkImageLimits(klingImageLimits, {})).toEqual([]);
    expect(checkImageLimits(klingImageLimits, { bytes: 5 })).toEqual([]);
  });

  it("judges an upscaler's result size by the scale param (2, '2', '4x')", () => {
    const limits = { maxOutputMegapixels: { megapixels: 25.3, scaleParam: 'scale_factor' } };
    expect(checkImageLimits(limits, { width: 2000, height: 2000 }, { scale_factor: '2x' })).toEqual([]); // 16 MP
    expect(checkImageLimits(limits, { width: 2000, height: 2000 }, { scale_factor: '4x' })).toEqual([
      'is 2000×2000 px; at scale_factor 4x the result would be 8000×8000 px (64 MP), over the 25.3 MP the endpoint makes',
    ]);
    expect(checkImageLimits(limits, { width: 3000, height: 3000 }, { scale_factor: 2 })).toHaveLength(1);
    expect(checkImageLimits(limits, { width: 3000, height: 3000 }, {})).toEqual([]);
  });
});

describe('describeImageLimits', () => {
  it("reads Kling's limits as the editor shows them", () => {
    expect(describeImageLimits(klingImageLimits)).toEqual(['at least 300×300 px', 'aspect 1:2.5–2.5:1', '≤ 10 MB']);
    expect(formatAspect(1)).toBe('1:1');
  });
});

describe('declared limits', () => {
  it('sit only on image ports, and every Kling image port has the documented 300×300 and 1:2.5–2.5:1', () => {
    const kling = NODE_DEFINITIONS.filter((d) => d.id.startsWith('freepik.kling'));
    expect(kling.length).toBe(6);
    for (const def of kling) {
      const images = def.inputs.filter((p) => p.type === 'image' || p.type === 'image[]');
      expect(images.length).toBeGreaterThan(0);
      for (const port of images) expect(port.imageLimits, `${def.id}.${port.name}`).toMatchObject({ minWidth: 300, minHeight: 300, minAspect: 0.4, maxAspect: 2.5, maxBytes: 10 * MB });
    }
  });

  it('reach the editor in the serialized catalog', () => {
    const node = serializeCatalog().find((n) => n.id === 'freepik.kling-v2-1-pro')!;
    expect(node.inputs.find((p) => p.name === 'image')?.imageLimits).toMatchObject({ minWidth: 300 });
  });
});
