import { describe, expect, it } from 'vitest';
import { PORT_TYPES, canConnect, connectionProblem, isFilePort, isPortType } from './ports.ts';

describe('canConnect', () => {
  it('every type feeds its own kind of input, except the any wildcard', () => {
    for (const t of PORT_TYPES) expect(canConnect(t, t)).toBe(t !== 'any');
  });

  it.each([
    ['image', 'image[]'], // one image fills a list slot (Gemini reference_images)
    ['number', 'text'], // numbers print into prompts
    ['text', 'json'],
    ['image', 'json'],
    ['image[]', 'json'],
    ['image', 'any'],
    ['text', 'any'],
    ['video', 'any'],
    ['json', 'any'],
  ] as const)('%s may feed %s', (from, to) => {
    expect(canConnect(from, to)).toBe(true);
    expect(connectionProblem(from, to)).toBeNull();
  });

  it.each([
    ['image[]', 'image'], // a list does not silently become one image
    ['text', 'image'],
    ['image', 'text'],
    ['text', 'number'],
    ['video', 'image'],
    ['image', 'video'],
    ['json', 'text'],
    ['any', 'any'], // only inputs are wildcards
    ['any', 'image'],
  ] as const)('%s may not feed %s', (from, to) => {
    expect(canConnect(from, to)).toBe(false);
    expect(connectionProblem(from, to)).toMatch(new RegExp(`${from.replace('[', '\\[').replace(']', '\\]')} output cannot feed an? ${to.replace('[', '\\[').replace(']', '\\]')} input`));
  });
});

describe('port helpers', () => {
  it('isPortType accepts only the closed union', () => {
    expect(isPortType('image[]')).toBe(true);
    expect(isPortType('audio')).toBe(false);
    expect(isPortType(3)).toBe(false);
  });
  it('file ports are images, image lists and videos', () => {
    expect(PORT_TYPES.filter(isFilePort)).toEqual(['image', 'image[]', 'video']);
  });
});
