/**
 * Picture helpers shared by the catalog endpoints of the simulator: prompt
 * renderings, aspect-ratio sizes and small colour tools. Pure functions of their
 * inputs (plus the seeded RNG), so outputs repeat for a given seed.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { OutputFile } from './types.ts';

export const escapeXml = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** Width:height of Freepik's aspect-ratio names (`widescreen_16_9` → 16/9). */
export function ratioOf(name: string | undefined): number {
  const m = /_(\d+)_(\d+)$/.exec(name ?? '');
  return m ? Number(m[1]) / Number(m[2]) : 1;
}

/** Pixel size whose long side is `longSide` at the given aspect ratio. */
export function sizeFor(aspectRatio: string | undefined, longSide: number): { width: number; height: number } {
  const r = ratioOf(aspectRatio);
  return r >= 1
    ? { width: longSide, height: Math.max(1, Math.round(longSide / r)) }
    : { width: Math.max(1, Math.round(longSide * r)), height: longSide };
}

/** Splits text into a few short lines. */
export function textLines(text: string, perLine = 30, maxLines = 6): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if ((line + ' ' + word).trim().length > perLine && line) {
      lines.push(line);
      line = '';
    }
    line = (line + ' ' + word).trim();
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) lines.splice(maxLines - 1, lines.length, `${lines[maxLines - 1]}…`);
  return lines;
}

/** An SVG text block, centred, for overlays on generated pictures. */
export function textSvg(text: string, width: number, height: number, opts: { fill?: string; label?: string } = {}): string {
  const size = Math.max(12, Math.round(Math.min(width, height) / 22));
  const lines = textLines(text || '(random image)', Math.max(12, Math.round(width / (size * 0.62))));
  const top = height / 2 - ((lines.length - 1) * size * 1.25) / 2;
  const tspans = lines
    .map((l, i) => `<tspan x="${width / 2}" y="${Math.round(top + i * size * 1.25)}">${escapeXml(l)}</tspan>`)
    .join('');
  const label = opts.label
    ? `<text x="${width / 2}" y="${height - size}" font-family="sans-serif" font-size="${Math.round(size * 0.6)}" fill="${opts.fill ?? 'white'}" fill-opacity="0.8" text-anchor="middle">${escapeXml(opts.label)}</text>`
    : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text font-family="sans-serif" font-size="${size}" fill="${opts.fill ?? 'white'}" text-anchor="middle">${tspans}</text>${label}</svg>`;
}

/** A seeded gradient picture with the prompt written on it (text-to-image endpoints). */
export async function promptPicture(
  prompt: string,
  size: { width: number; height: number },
  rng: () => number,
  opts: { label?: string; colors?: string[]; format?: 'png' | 'jpeg' } = {},
): Promise<OutputFile> {
  const { width, height } = size;
  const hue = Math.floor(rng() * 360);
  const [c1, c2] = opts.colors?.length
    ? [opts.colors[0], opts.colors[1] ?? opts.colors[0]]
    : [`hsl(${hue},70%,55%)`, `hsl(${(hue + 140) % 360},70%,30%)`];
  const r = Math.round(Math.min(width, height) * 0.16);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${c1}"/><stop offset="1" stop-color="${c2}"/></linearGradient></defs>
  <rect width="${width}" height="${height}" fill="url(#g)"/>
  <circle cx="${Math.round(r + rng() * (width - 2 * r))}" cy="${Math.round(r + rng() * (height / 2 - r))}" r="${r}" fill="white" fill-opacity="0.15"/>
</svg>`;
  const pipeline = sharp(Buffer.from(svg)).composite([{ input: Buffer.from(textSvg(prompt, width, height, { label: opts.label })) }]);
  return opts.format === 'png'
    ? { data: await pipeline.png().toBuffer(), mime: 'image/png', ext: 'png' }
    : { data: await pipeline.jpeg({ quality: 85 }).toBuffer(), mime: 'image/jpeg', ext: 'jpg' };
}

/** Encodes like the input: JPEG stays JPEG, everything else becomes PNG. */
export async function encodeLike(pipeline: ReturnType<typeof sharp>, format: string): Promise<OutputFile> {
  return format === 'jpeg'
    ? { data: await pipeline.jpeg({ quality: 90 }).toBuffer(), mime: 'image/jpeg', ext: 'jpg' }
    : { data: await pipeline.png().toBuffer(), mime: 'image/png', ext: 'png' };
}

/** Mean colour of an image (0–255 per channel). */
export async function meanColour(data: Buffer): Promise<{ r: number; g: number; b: number; brightness: number }> {
  const { channels } = await sharp(data).removeAlpha().stats();
  const [r, g, b] = [channels[0]?.mean ?? 128, channels[1]?.mean ?? channels[0]?.mean ?? 128, channels[2]?.mean ?? channels[0]?.mean ?? 128];
  return { r, g, b, brightness: (0.299 * r + 0.587 * g + 0.114 * b) / 255 };
}

/** A number in [0,1) fixed by some bytes: deterministic "model opinions" (classifier). */
export function unitHash(...parts: (string | Buffer)[]): number {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest().readUInt32BE(0) / 4294967296;
}

/** A small integer fixed by a string (stock ids, colours). */
export function intHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}
