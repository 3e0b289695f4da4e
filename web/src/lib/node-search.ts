/**
 * Finding a node the way designers type: with typos ("upscl", "upscaller"), shorthands
 * from other tools ("txt2img", "i2v", "remove bg") and words from the description.
 * Every typed word must match something; title matches rank first.
 */
import type { CatalogNode } from '@pikflow/catalog';
import { categoryLabel } from './catalog-display.ts';

/** Shorthands from ComfyUI, InvokeAI and n8n, as the words the catalog uses. */
const SYNONYMS: Record<string, string[]> = {
  txt2img: ['image generation'],
  t2i: ['image generation'],
  text2img: ['image generation'],
  text2image: ['image generation'],
  generate: ['image generation'],
  img2img: ['image editing'],
  i2i: ['image editing'],
  inpaint: ['image editing'],
  img2vid: ['video'],
  i2v: ['video'],
  t2v: ['video'],
  txt2vid: ['video'],
  animate: ['video'],
  bg: ['background'],
  rembg: ['remove background'],
  nobg: ['remove background'],
  cutout: ['remove background'],
  enhance: ['upscaler'],
  superres: ['upscaler'],
  sr: ['upscaler'],
  hires: ['upscaler'],
  esrgan: ['upscaler'],
  light: ['relight'],
  lighting: ['relight'],
  outpaint: ['expand'],
  restore: ['restore', 'gemini'],
  save: ['output', 'upload'],
  prompt: ['text input', 'prompt'],
  load: ['input'],
};

const words = (text: string) => text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

/** Letters of `q` in order inside `w`, starting with the same letter: "upscl" in "upscaler". */
function isAbbreviation(q: string, w: string): boolean {
  if (q[0] !== w[0]) return false;
  let at = 0;
  for (const ch of w) if (ch === q[at]) at++;
  return at === q.length;
}

/** How well one typed word matches one word of the node (0: not at all). */
function wordScore(q: string, w: string): number {
  if (w === q) return 4;
  if (w.startsWith(q)) return 3;
  if (q.length >= 3 && w.includes(q)) return 2;
  if (q.length >= 3 && isAbbreviation(q, w)) return 1.5;
  if (q.length >= 4) {
    // A typo: against the word, or its start for a word typed half-way.
    const allowed = q.length >= 7 ? 2 : 1;
    if (Math.min(editDistance(q, w), editDistance(q, w.slice(0, q.length))) <= allowed) return 1;
  }
  return 0;
}

interface Haystack {
  title: string[];
  rest: string[];
}

const haystacks = new WeakMap<CatalogNode, Haystack>();
function haystack(def: CatalogNode): Haystack {
  let h = haystacks.get(def);
  if (!h) {
    const ports = [...def.inputs, ...def.outputs].map((p) => `${p.name} ${p.label ?? ''}`).join(' ');
    h = { title: words(def.title), rest: words(`${def.id} ${def.category} ${categoryLabel(def.category)} ${def.description} ${ports}`) };
    haystacks.set(def, h);
  }
  return h;
}

function phraseScore(phrase: string[], h: Haystack): number {
  let total = 0;
  for (const q of phrase) {
    const best = Math.max(0, ...h.title.map((w) => wordScore(q, w) * 2), ...h.rest.map((w) => wordScore(q, w)));
    if (!best) return 0;
    total += best;
  }
  return total;
}

/** 0 when `def` does not match `query`; higher is a better match. */
export function searchScore(def: CatalogNode, query: string): number {
  const typed = query.toLowerCase().trim();
  if (!typed) return 1;
  const h = haystack(def);
  let total = 0;
  for (const q of words(typed)) {
    const alternatives = [[q], ...(SYNONYMS[q] ?? []).map(words)];
    const best = Math.max(...alternatives.map((phrase) => phraseScore(phrase, h)));
    if (!best) return 0;
    total += best;
  }
  return total;
}

export function matchesQuery(def: CatalogNode, query: string): boolean {
  return searchScore(def, query) > 0;
}

/** The catalog filtered by `query`, best match first (the catalog's order among equals). */
export function searchNodes(catalog: CatalogNode[], query: string): CatalogNode[] {
  if (!query.trim()) return catalog;
  return catalog
    .map((def, i) => ({ def, i, score: searchScore(def, query) }))
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map((r) => r.def);
}
