/** How catalog things look: port colours, category names and accents. */
import type { Category, InputPort, PortType } from '@pikflow/catalog';
import { describeImageLimits } from '@pikflow/catalog/image-limits';

export const PORT_COLORS: Record<PortType, string> = {
  image: '#5aa9ff',
  'image[]': '#9b8cff',
  text: '#5fd39a',
  number: '#f2c94c',
  video: '#ff7aa2',
  json: '#f29b50',
  any: '#aab0bf',
};

export const CATEGORY_LABELS: Record<Category, string> = {
  input: 'Inputs',
  output: 'Outputs',
  'image-generation': 'Image generation',
  'image-edit': 'Image editing',
  upscale: 'Upscale',
  video: 'Video',
  icons: 'Icons',
  lora: 'LoRAs',
  analysis: 'Analysis',
  stock: 'Stock content',
  storage: 'Storage',
};

/**
 * The palette's order: the catalog's own (the labels above list every category in it,
 * which the Record type enforces), with outputs last (they end a pipeline).
 */
const CATEGORIES = Object.keys(CATEGORY_LABELS) as Category[];
export const CATEGORY_ORDER: Category[] = [...CATEGORIES.filter((c) => c !== 'output'), 'output'];

export const CATEGORY_COLORS: Record<Category, string> = {
  input: '#3fb68b',
  output: '#e0a33a',
  'image-generation': '#8b6cff',
  'image-edit': '#6d8bff',
  upscale: '#2fb5c9',
  video: '#ff6f91',
  icons: '#c68cff',
  lora: '#b0c244',
  analysis: '#5aa9ff',
  stock: '#d98a5b',
  storage: '#8c97a8',
};

export function categoryLabel(c: string): string {
  return (CATEGORY_LABELS as Record<string, string>)[c] ?? c;
}

export function categoryColor(c: string): string {
  return (CATEGORY_COLORS as Record<string, string>)[c] ?? '#8c97a8';
}

/** A port's documented image limits as one line (`at least 300×300 px · aspect 1:2.5–2.5:1 · ≤ 10 MB`), or ''. */
export function portLimitsText(port: Pick<InputPort, 'imageLimits'>): string {
  return port.imageLimits ? describeImageLimits(port.imageLimits).join(' · ') : '';
}
