import sharp from 'sharp';
import { z } from 'zod';
import { escapeXml, textLines } from './sim-images.ts';
import { defineTaskEndpoint } from './types.ts';
import { geminiBody } from './seed-rules.ts';

/** Edits the first reference visibly: warmer, punchier colours and a thin golden frame. */
async function editReference(data: Buffer): Promise<Buffer> {
  const { data: body, info } = await sharp(data)
    .rotate()
    .modulate({ saturation: 1.35, brightness: 1.06, hue: 12 })
    .linear(1.18, -12)
    .tint({ r: 255, g: 226, b: 190 })
    .toBuffer({ resolveWithObject: true });
  const border = Math.max(4, Math.round(Math.min(info.width, info.height) * 0.03));
  return sharp(body)
    .resize(Math.max(1, info.width - 2 * border), Math.max(1, info.height - 2 * border), { fit: 'fill' })
    .extend({ top: border, bottom: border, left: border, right: border, background: { r: 212, g: 175, b: 55 } })
    .png()
    .toBuffer();
}

/** Makes an image from the prompt alone: a seeded gradient with the prompt written on it. */
async function generate(prompt: string, rng: () => number): Promise<Buffer> {
  const hue = Math.floor(rng() * 360);
  const lines = textLines(prompt, 34)
    .map((l, i) => `<tspan x="512" dy="${i === 0 ? 0 : 56}">${escapeXml(l)}</tspan>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="hsl(${hue},70%,55%)"/><stop offset="1" stop-color="hsl(${(hue + 140) % 360},70%,30%)"/>
  </linearGradient></defs>
  <rect width="1024" height="1024" fill="url(#g)"/>
  <circle cx="${200 + Math.floor(rng() * 624)}" cy="${200 + Math.floor(rng() * 300)}" r="160" fill="white" fill-opacity="0.15"/>
  <text x="512" y="620" font-family="sans-serif" font-size="44" fill="white" text-anchor="middle">${lines}</text>
</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Gemini 2.5 Flash (Nano Banana): edits the first reference image, or draws the prompt. */
export const gemini25Flash = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.gemini-2-5-flash',
  path: '/v1/ai/gemini-2-5-flash-image-preview',
  mode: 'async',
  body: geminiBody,
  imageFields: [{ name: 'reference_images', list: true, accepts: 'both' }],
  latencyMs: 5_000,
  async produce({ body, images, rng }) {
    const first = images.reference_images[0];
    const data = first ? await editReference(first.data) : await generate(body.prompt, rng);
    return { files: [{ data, mime: 'image/png', ext: 'png' }] };
  },
});
