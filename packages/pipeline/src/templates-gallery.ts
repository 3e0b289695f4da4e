/**
 * The template gallery beyond Photo restoration: one ready-made pipeline per kind of
 * work the catalog covers (generation, editing, video, upscaling, icons, stock). Each
 * passes validatePipeline and runs against the simulator (tests/templates-gallery.test.ts).
 */
import type { PipelineDocument } from './document.ts';
import type { TemplateView } from './api-types.ts';

const COLUMN = 320;
const at = (column: number, row = 0) => ({ x: column * COLUMN, y: row * 220 });
const link = (source: string, sourceHandle: string, target: string, targetHandle: string) => ({
  id: `${source}.${sourceHandle}-${target}.${targetHandle}`,
  source,
  sourceHandle,
  target,
  targetHandle,
});

const productShot: PipelineDocument = {
  version: 1,
  nodes: [
    {
      id: 'product',
      type: 'input.text',
      label: 'Product',
      params: { name: 'product', text: 'a ceramic coffee mug with a matte sage glaze, product photo, centered, plain background' },
      position: at(0),
    },
    { id: 'generate', type: 'freepik.mystic', label: 'Generate', params: {}, position: at(1) },
    { id: 'cutout', type: 'freepik.remove-background', label: 'Cut out', params: {}, position: at(2) },
    {
      id: 'relight',
      type: 'freepik.relight',
      label: 'Studio light',
      params: { prompt: 'soft warm studio key light from the left, gentle shadow' },
      position: at(3),
    },
    { id: 'shot', type: 'output', label: 'Product shot', params: { name: 'product_shot' }, position: at(4) },
    { id: 'cutout_out', type: 'output', label: 'Cut-out', params: { name: 'cutout' }, position: at(4, 1) },
  ],
  edges: [
    link('product', 'text', 'generate', 'prompt'),
    link('generate', 'image', 'cutout', 'image_url'),
    link('cutout', 'image', 'relight', 'image'),
    link('relight', 'image', 'shot', 'value'),
    link('cutout', 'image', 'cutout_out', 'value'),
  ],
};

/** Photo in, one step, file out: the simplest useful pipeline. */
function photoThrough(step: PipelineDocument['nodes'][number], stepPorts: [string, string], output: { id: string; label: string }): PipelineDocument {
  return {
    version: 1,
    nodes: [
      { id: 'photo', type: 'input.image', label: 'Photo', params: { name: 'photo' }, position: at(0) },
      { ...step, position: at(1) },
      { id: output.id, type: 'output', label: output.label, params: { name: output.id }, position: at(2) },
    ],
    edges: [link('photo', 'image', step.id, stepPorts[0]), link(step.id, stepPorts[1], output.id, 'value')],
  };
}

const photoToVideo = photoThrough(
  {
    id: 'animate',
    type: 'freepik.kling-v2-1-std',
    label: 'Animate',
    params: { prompt: 'a slow cinematic push-in, gentle natural motion', duration: '5' },
    position: at(1),
  },
  ['image', 'video'],
  { id: 'video', label: 'Video' },
);

const upscaleForPrint = photoThrough(
  {
    id: 'upscale',
    type: 'freepik.upscaler-precision-v2',
    label: 'Upscale ×4',
    params: { scale_factor: 4, flavor: 'photo', sharpen: 15, ultra_detail: 30 },
    position: at(1),
  },
  ['image', 'image'],
  { id: 'print', label: 'Print file' },
);

const ICON_STYLES = ['solid', 'outline', 'color'] as const;
const iconSet: PipelineDocument = {
  version: 1,
  nodes: [
    { id: 'subject', type: 'input.text', label: 'Subject', params: { name: 'subject', text: 'a paper plane' }, position: at(0, 1) },
    ...ICON_STYLES.flatMap((style, row) => [
      {
        id: `icon_${style}`,
        type: 'freepik.text-to-icon',
        label: `${style[0].toUpperCase()}${style.slice(1)} icon`,
        params: { prompt: 'a paper plane', style, format: 'png' },
        position: at(1, row),
      },
      { id: `out_${style}`, type: 'output', label: `${style} icon`, params: { name: `icon_${style}` }, position: at(2, row) },
    ]),
  ],
  edges: ICON_STYLES.flatMap((style) => [
    link('subject', 'text', `icon_${style}`, 'prompt'),
    link(`icon_${style}`, 'image', `out_${style}`, 'value'),
  ]),
};

const stockStyleTransfer: PipelineDocument = {
  version: 1,
  nodes: [
    { id: 'term', type: 'input.text', label: 'Search term', params: { name: 'term', text: 'mountain lake at sunrise' }, position: at(0) },
    { id: 'search', type: 'freepik.stock-resources-search', label: 'Find a stock photo', params: { order: 'relevance' }, position: at(1) },
    { id: 'style', type: 'input.image', label: 'Style reference', params: { name: 'style' }, position: at(1, 1) },
    { id: 'transfer', type: 'freepik.style-transfer', label: 'Apply the style', params: {}, position: at(2) },
    { id: 'styled', type: 'output', label: 'Styled image', params: { name: 'styled' }, position: at(3) },
  ],
  edges: [
    link('term', 'text', 'search', 'term'),
    link('search', 'image', 'transfer', 'image'),
    link('style', 'image', 'transfer', 'reference_image'),
    link('transfer', 'image', 'styled', 'value'),
  ],
};

export const GALLERY_TEMPLATES: TemplateView[] = [
  {
    id: 'product-shot',
    name: 'Product shot',
    description:
      'Generates a product photo with Mystic from a text, cuts it out with Remove background and relights it like a studio shot. Trigger it with {"product": "<what to show>"}.',
    document: productShot,
  },
  {
    id: 'photo-to-video',
    name: 'Photo to video',
    description: 'Animates a photo into a 5 second video with Kling 2.1 Std. Trigger it with {"photo": "<asset id, URL or data URI>"}.',
    document: photoToVideo,
  },
  {
    id: 'upscale-for-print',
    name: 'Upscale for print',
    description: 'Upscales a photo ×4 with Magnific Precision V2, tuned for photographs, ready for large prints. Trigger it with {"photo": "…"}.',
    document: upscaleForPrint,
  },
  {
    id: 'icon-set',
    name: 'Icon set',
    description: 'Draws one subject as a solid, an outline and a colour icon with Text to icon. Trigger it with {"subject": "<what to draw>"}.',
    document: iconSet,
  },
  {
    id: 'stock-style-transfer',
    name: 'Stock photo in your style',
    description:
      'Finds a stock photo for a search term and repaints it in the style of your reference image with Style transfer. Trigger it with {"term": "…", "style": "<image>"}.',
    document: stockStyleTransfer,
  },
];
