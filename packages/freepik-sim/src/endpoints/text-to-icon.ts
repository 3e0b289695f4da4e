import sharp from 'sharp';
import { escapeXml, intHash } from './sim-images.ts';
import { defineTaskEndpoint, type OutputFile } from './types.ts';
import { textToIconBody } from './seed-rules.ts';

/** SVG sources of finished icon tasks, so "render" can redraw them as PNG or SVG. */
export const ICON_SOURCES = new Map<string, string>();
const MAX_REMEMBERED = 1_000;

/** A 512×512 icon in the requested style: a badge with the prompt's initials. */
export function iconSvg(prompt: string, style: string): string {
  const hue = intHash(prompt) % 360;
  const initials = escapeXml(
    prompt
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => w[0]!.toUpperCase())
      .join('') || '?',
  );
  const colour = `hsl(${hue},65%,50%)`;
  const shape: Record<string, string> = {
    solid: `<circle cx="256" cy="256" r="200" fill="#1d1d1f"/>`,
    outline: `<circle cx="256" cy="256" r="190" fill="none" stroke="#1d1d1f" stroke-width="28"/>`,
    color: `<circle cx="256" cy="256" r="200" fill="${colour}"/><circle cx="256" cy="256" r="120" fill="hsl(${(hue + 60) % 360},70%,60%)"/>`,
    flat: `<rect x="64" y="64" width="384" height="384" rx="64" fill="${colour}"/>`,
    sticker: `<circle cx="256" cy="256" r="220" fill="white" stroke="#ddd" stroke-width="6"/><circle cx="256" cy="256" r="180" fill="${colour}"/>`,
  };
  const ink = style === 'outline' ? '#1d1d1f' : 'white';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">${shape[style] ?? shape.solid}<text x="256" y="300" font-family="sans-serif" font-size="140" font-weight="bold" fill="${ink}" text-anchor="middle">${initials}</text></svg>`;
}

export async function iconFile(svg: string, format: string, size = 512): Promise<OutputFile> {
  if (format === 'svg') return { data: Buffer.from(svg), mime: 'image/svg+xml', ext: 'svg' };
  return { data: await sharp(Buffer.from(svg)).resize(size, size).png().toBuffer(), mime: 'image/png', ext: 'png' };
}

/** Draws the icon a text-to-icon task asked for, remembering its source so "render" can redraw it. */
export async function drawTaskIcon(taskId: string, body: Record<string, unknown>, format: string, size?: number) {
  const svg = iconSvg(String(body.prompt), String(body.style));
  ICON_SOURCES.set(taskId, svg);
  if (ICON_SOURCES.size > MAX_REMEMBERED) ICON_SOURCES.delete(ICON_SOURCES.keys().next().value!);
  return iconFile(svg, format, size);
}

/** Text to icon: webhook_url required, no status route; the result reaches only the webhook (S4:5662-5809). */
export const textToIcon = defineTaskEndpoint({
  kind: 'task',
  id: 'freepik.text-to-icon',
  path: '/v1/ai/text-to-icon',
  mode: 'webhook-only',
  body: textToIconBody,
  latencyMs: 3_000,
  async produce({ body, taskId }) {
    return { files: [await drawTaskIcon(taskId, body, String(body.format))] };
  },
});
