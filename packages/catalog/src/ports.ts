/**
 * Port types: one closed union shared by the editor and the server. Whether an
 * output may feed an input is decided only by `canConnect`, so both sides refuse
 * the same connections with the same reason.
 */
export const PORT_TYPES = ['image', 'image[]', 'text', 'number', 'video', 'json', 'any'] as const;
export type PortType = (typeof PORT_TYPES)[number];

/** Which extra output types an input type accepts besides its own. */
const WIDENINGS: Record<PortType, readonly PortType[]> = {
  image: [],
  // A single image fills a list slot: Gemini's reference_images takes one or many.
  'image[]': ['image'],
  // Numbers print into prompts; nothing else silently becomes text.
  text: ['number'],
  number: [],
  video: [],
  // Structured data may carry anything that serialises.
  json: ['text', 'number', 'image', 'image[]', 'video'],
  // Output nodes collect whatever reaches them.
  any: ['image', 'image[]', 'text', 'number', 'video', 'json'],
};

export function canConnect(from: PortType, to: PortType): boolean {
  if (from === 'any') return false; // only inputs are wildcards
  return from === to || WIDENINGS[to].includes(from);
}

/** A sentence a designer understands, or null when the connection is fine. */
export function connectionProblem(from: PortType, to: PortType): string | null {
  return canConnect(from, to) ? null : `${article(from)} ${from} output cannot feed ${article(to)} ${to} input`;
}

const article = (type: PortType) => (/^[aeiou]/.test(type) ? 'an' : 'a');

export function isPortType(value: unknown): value is PortType {
  return typeof value === 'string' && (PORT_TYPES as readonly string[]).includes(value);
}

/** Port types whose values are files the engine stores as assets. */
export function isFilePort(type: PortType): boolean {
  return type === 'image' || type === 'image[]' || type === 'video';
}
