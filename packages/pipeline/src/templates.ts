/**
 * Ready-made pipelines the editor offers as starting points. Each must pass
 * validatePipeline (templates.test.ts checks it).
 */
import type { PipelineDocument } from './document.ts';
import type { TemplateView } from './api-types.ts';
import { GALLERY_TEMPLATES } from './templates-gallery.ts';

/** The restoration prompt from the Photo Restoration docs (seed 000), verbatim. */
export const PHOTO_RESTORATION_PROMPT =
  'Ultra-realistic recreation of an old vintage photo, keeping the same original face (99% likeness, no alteration). Transform into a modern high-quality digital portrait with vibrant updated colors, smooth realistic skin textures, and natural lighting. The outfit and background should be upgraded into a clean, modern aesthetic while preserving the authenticity of the original pose and expression.';

/** Precision V2 settings the docs recommend for restored vintage photos (seed 000). */
export const PHOTO_RESTORATION_UPSCALE = {
  sharpen: 10,
  smart_grain: 5,
  ultra_detail: 40,
  flavor: 'photo',
  scale_factor: 4,
} as const;

const COLUMN = 320;

const photoRestoration: PipelineDocument = {
  version: 1,
  nodes: [
    { id: 'photo', type: 'input.image', label: 'Old photo', params: { name: 'photo' }, position: { x: 0, y: 120 } },
    {
      id: 'restore',
      type: 'freepik.gemini-2-5-flash',
      label: 'Restore',
      params: { prompt: PHOTO_RESTORATION_PROMPT },
      position: { x: COLUMN, y: 120 },
    },
    {
      id: 'upscale',
      type: 'freepik.upscaler-precision-v2',
      label: 'Upscale ×4',
      params: { ...PHOTO_RESTORATION_UPSCALE },
      position: { x: COLUMN * 2, y: 120 },
    },
    { id: 'upload', type: 'storage.file-upload', label: 'Store', params: {}, position: { x: COLUMN * 3, y: 0 } },
    { id: 'restored_url', type: 'output', label: 'Stored URL', params: { name: 'restored_url' }, position: { x: COLUMN * 4, y: 0 } },
    { id: 'image', type: 'output', label: 'Upscaled image', params: { name: 'image' }, position: { x: COLUMN * 4, y: 240 } },
  ],
  edges: [
    { id: 'photo-restore', source: 'photo', sourceHandle: 'image', target: 'restore', targetHandle: 'reference_images' },
    { id: 'restore-upscale', source: 'restore', sourceHandle: 'image', target: 'upscale', targetHandle: 'image' },
    { id: 'upscale-upload', source: 'upscale', sourceHandle: 'image', target: 'upload', targetHandle: 'image' },
    { id: 'upload-restored_url', source: 'upload', sourceHandle: 'url', target: 'restored_url', targetHandle: 'value' },
    { id: 'upscale-image', source: 'upscale', sourceHandle: 'image', target: 'image', targetHandle: 'value' },
  ],
};

export const TEMPLATES: TemplateView[] = [
  {
    id: 'photo-restoration',
    name: 'Photo restoration',
    description:
      'Restores an old photo with Gemini 2.5 Flash, upscales it ×4 with Magnific Precision V2 and stores it in your file service. Trigger it with {"photo": "<asset id, URL or data URI>"}.',
    document: photoRestoration,
  },
  ...GALLERY_TEMPLATES,
];

export function getTemplate(id: string): TemplateView | undefined {
  return TEMPLATES.find((t) => t.id === id);
}
