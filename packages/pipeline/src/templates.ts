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
const ROW = 160;

/** The seed-000 upscale step both templates share. */
const upscaleNode = (x: number, y: number): PipelineDocument['nodes'][number] => ({
  id: 'upscale',
  type: 'freepik.upscaler-precision-v2',
  label: 'Upscale ×4',
  params: { ...PHOTO_RESTORATION_UPSCALE },
  position: { x, y },
});

/**
 * Seed 000's workflow with every generated image kept in the user's file service (seed 003:
 * "dùng để lưu ảnh và lấy url lưu vào generated image"): restore with Gemini, store the
 * restored image, upscale it ×4 with Precision V2, store the upscale. Each stored URL is
 * output under the name of what it holds.
 */
const photoRestoration: PipelineDocument = {
  version: 1,
  nodes: [
    { id: 'photo', type: 'input.image', label: 'Old photo', params: { name: 'photo' }, position: { x: 0, y: ROW } },
    {
      id: 'restore',
      type: 'freepik.gemini-2-5-flash',
      label: 'Restore',
      params: { prompt: PHOTO_RESTORATION_PROMPT },
      position: { x: COLUMN, y: ROW },
    },
    { id: 'store_restored', type: 'storage.file-upload', label: 'Store restored', params: {}, position: { x: COLUMN * 2, y: 0 } },
    upscaleNode(COLUMN * 2, ROW * 2),
    { id: 'restored_url', type: 'output', label: 'Restored image URL (file service)', params: { name: 'restored_url' }, position: { x: COLUMN * 3, y: -ROW / 2 } },
    { id: 'restored_image', type: 'output', label: 'Restored image', params: { name: 'restored_image' }, position: { x: COLUMN * 3, y: ROW / 2 } },
    { id: 'store_upscaled', type: 'storage.file-upload', label: 'Store upscaled', params: {}, position: { x: COLUMN * 3, y: ROW * 2 } },
    { id: 'upscaled_url', type: 'output', label: 'Upscaled image URL (file service)', params: { name: 'upscaled_url' }, position: { x: COLUMN * 4, y: ROW * 1.5 } },
    { id: 'upscaled_image', type: 'output', label: 'Upscaled image', params: { name: 'upscaled_image' }, position: { x: COLUMN * 4, y: ROW * 2.5 } },
  ],
  edges: [
    { id: 'photo-restore', source: 'photo', sourceHandle: 'image', target: 'restore', targetHandle: 'reference_images' },
    { id: 'restore-store_restored', source: 'restore', sourceHandle: 'image', target: 'store_restored', targetHandle: 'image' },
    { id: 'store_restored-restored_url', source: 'store_restored', sourceHandle: 'url', target: 'restored_url', targetHandle: 'value' },
    { id: 'restore-restored_image', source: 'restore', sourceHandle: 'image', target: 'restored_image', targetHandle: 'value' },
    { id: 'restore-upscale', source: 'restore', sourceHandle: 'image', target: 'upscale', targetHandle: 'image' },
    { id: 'upscale-store_upscaled', source: 'upscale', sourceHandle: 'image', target: 'store_upscaled', targetHandle: 'image' },
    { id: 'store_upscaled-upscaled_url', source: 'store_upscaled', sourceHandle: 'url', target: 'upscaled_url', targetHandle: 'value' },
    { id: 'upscale-upscaled_image', source: 'upscale', sourceHandle: 'image', target: 'upscaled_image', targetHandle: 'value' },
  ],
};

/**
 * Seed 000's Export step ("automatically triggers upscaling if not done, downloads the
 * high-resolution upscaled version"): a restored image (e.g. the `restored_url` of a
 * restoration run, or its asset id) → Precision V2 ×4 with the same settings → stored.
 */
const photoExport: PipelineDocument = {
  version: 1,
  nodes: [
    { id: 'restored', type: 'input.image', label: 'Restored image', params: { name: 'restored' }, position: { x: 0, y: ROW } },
    upscaleNode(COLUMN, ROW),
    { id: 'store_upscaled', type: 'storage.file-upload', label: 'Store upscaled', params: {}, position: { x: COLUMN * 2, y: ROW } },
    { id: 'upscaled_url', type: 'output', label: 'Upscaled image URL (file service)', params: { name: 'upscaled_url' }, position: { x: COLUMN * 3, y: ROW / 2 } },
    { id: 'upscaled_image', type: 'output', label: 'Upscaled image', params: { name: 'upscaled_image' }, position: { x: COLUMN * 3, y: ROW * 1.5 } },
  ],
  edges: [
    { id: 'restored-upscale', source: 'restored', sourceHandle: 'image', target: 'upscale', targetHandle: 'image' },
    { id: 'upscale-store_upscaled', source: 'upscale', sourceHandle: 'image', target: 'store_upscaled', targetHandle: 'image' },
    { id: 'store_upscaled-upscaled_url', source: 'store_upscaled', sourceHandle: 'url', target: 'upscaled_url', targetHandle: 'value' },
    { id: 'upscale-upscaled_image', source: 'upscale', sourceHandle: 'image', target: 'upscaled_image', targetHandle: 'value' },
  ],
};

export const TEMPLATES: TemplateView[] = [
  {
    id: 'photo-restoration',
    name: 'Photo restoration',
    description:
      'Restores an old photo with Gemini 2.5 Flash and upscales it ×4 with Magnific Precision V2, storing both images in your file service (restored_url, upscaled_url). Trigger it with {"photo": "<asset id, URL or data URI>"}.',
    document: photoRestoration,
  },
  {
    id: 'photo-export',
    name: 'Photo export (upscale on demand)',
    description:
      'The Export step of the restoration workflow: upscales an already restored image ×4 with Magnific Precision V2 and stores it in your file service (upscaled_url). Trigger it with {"restored": "<restored_url, asset id or data URI>"}.',
    document: photoExport,
  },
  ...GALLERY_TEMPLATES,
];

export function getTemplate(id: string): TemplateView | undefined {
  return TEMPLATES.find((t) => t.id === id);
}
