/**
 * Deterministic fake stock catalogue for the simulated /v1/resources and
 * /v1/icons routes: ids encode each item's kind and orientation, so previews and
 * downloads can be drawn from the id alone, and the same query always answers
 * the same page. Files are served (public, like Freepik's CDN) under /__sim/stock/.
 */
import { crc32 } from 'node:zlib';
import { createRng } from '../core/rng.ts';
import { intHash, promptPicture } from './sim-images.ts';

export const STOCK_PREFIX = '/__sim/stock/';
export const RESOURCE_KINDS = ['photo', 'vector', 'psd'] as const;
export const ORIENTATIONS = ['landscape', 'portrait', 'square', 'panoramic'] as const;
export const ICON_STYLES = ['solid', 'outline', 'color', 'flat', 'sticker'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];
export type Orientation = (typeof ORIENTATIONS)[number];

/** A resource id: its low digits carry orientation (id % 4) and kind (⌊id/4⌋ % 3). */
export function resourceId(seed: number, kind: number, orientation: number): number {
  return 120_000 + (seed % 1_000_000) * 12 + kind * 4 + orientation; // 120 000 is a multiple of 12
}

export function describeResource(id: number): { kind: ResourceKind; orientation: Orientation } {
  return { kind: RESOURCE_KINDS[Math.floor(id / 4) % 3]!, orientation: ORIENTATIONS[id % 4]! };
}

export function resourceSize(orientation: Orientation, longSide = 626): { width: number; height: number } {
  const ratio = { landscape: 3 / 2, portrait: 2 / 3, square: 1, panoramic: 3 }[orientation];
  return ratio >= 1
    ? { width: longSide, height: Math.round(longSide / ratio) }
    : { width: Math.round(longSide * ratio), height: longSide };
}

/** The preview (or photo download) of a resource, as JPEG. */
export async function resourcePicture(id: number, longSide = 626): Promise<Buffer> {
  const { kind, orientation } = describeResource(id);
  const picture = await promptPicture(`stock ${kind} #${id}`, resourceSize(orientation, longSide), createRng(id), {
    label: `freepik sim · ${orientation}`,
  });
  return picture.data;
}

/** Which of `keys` the filter object switches on (value 1 / "1"). */
export function switchedOn<T extends string>(query: Record<string, unknown>, group: string, keys: readonly T[]): T[] {
  return keys.filter((k) => String(query[`filters[${group}][${k}]`] ?? '0') === '1');
}

/** Title-cases a search term for fake titles. */
export const titleOf = (term: string) => (term.trim() ? term.trim()[0]!.toUpperCase() + term.trim().slice(1) : 'Untitled');

export const seedOf = (text: string) => intHash(text);

/** A ZIP (stored, no compression) holding the given files: what vector/PSD downloads hand out. */
export function zipOf(files: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name);
    const crc = crc32(file.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(file.data.length, 18);
    local.writeUInt32LE(file.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(file.data.length, 20);
    central.writeUInt32LE(file.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, file.data);
    centrals.push(central, name);
    offset += local.length + name.length + file.data.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
