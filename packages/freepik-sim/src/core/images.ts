import { lookup } from 'node:dns/promises';
import { checkImageUrl, isPrivateAddress } from '@pikflow/pipeline';
import sharp from 'sharp';
import type { DecodedImage, ImageAccepts, ImageField } from '../endpoints/types.ts';
import type { SimConfig } from './config.ts';
import { SimHttpError, invalidParams } from './errors.ts';

/** What decoding an image field may do: size and pixel caps, which private origins it may fetch. */
export type ImageLimits = Pick<SimConfig, 'maxImageBytes' | 'maxInputPixels' | 'privateImageOrigins'>;

const MAX_REDIRECTS = 3;
const PRIVATE_TARGET = 'could not download the image from the URL (it points at a private or loopback address)';

const URL_PATTERN = /^https?:\/\//i;
const DATA_URI = /^data:([\w.+/-]+)?(?:;[\w-]+=[^;,]*)*;base64,(.*)$/is;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Thrown per field so several bad images can be reported together. */
class ImageProblem extends Error {}

/**
 * Why the simulator must not fetch `url`, or undefined. A private or loopback target is
 * allowed only when its origin is listed (the Pikflow server that hands images over by
 * URL) — never as a redirect target — so a URL cannot make the simulator probe this
 * machine or its network, and every refusal reads the same.
 */
async function refusal(url: URL, limits: ImageLimits, hop: number): Promise<string | undefined> {
  const allowed = hop === 0 && (limits.privateImageOrigins === 'any' || limits.privateImageOrigins.some((o) => new URL(o).origin === url.origin));
  const problem = checkImageUrl(url.href, { allowPrivate: allowed });
  if (problem) return /private|loopback|local host/.test(problem) ? PRIVATE_TARGET : `could not download the image from the URL (${problem})`;
  if (allowed) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = await lookup(host, { all: true }).catch(() => []);
  if (addresses.length === 0) return 'could not download the image from the URL (its host name does not resolve)';
  if (addresses.some((a) => isPrivateAddress(a.address))) return PRIVATE_TARGET;
  return undefined;
}

async function download(url: string, limits: ImageLimits): Promise<Buffer> {
  const maxBytes = limits.maxImageBytes;
  let target = new URL(url);
  let response: Response | undefined;
  for (let hop = 0; ; hop++) {
    const why = await refusal(target, limits, hop);
    if (why) throw new ImageProblem(why);
    try {
      response = await fetch(target, { signal: AbortSignal.timeout(15_000), redirect: 'manual' });
    } catch (e) {
      throw new ImageProblem(`could not download the image from the URL (${(e as Error).message})`);
    }
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) break;
    await response.body?.cancel().catch(() => undefined);
    if (hop >= MAX_REDIRECTS) throw new ImageProblem('could not download the image from the URL (too many redirects)');
    target = new URL(location, target);
  }
  if (!response.ok) throw new ImageProblem(`could not download the image from the URL (HTTP ${response.status})`);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) throw new ImageProblem(`the image is larger than ${maxBytes} bytes`);
  // Read with a running total: a body without (or lying about) content-length stops at the cap.
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new ImageProblem(`the image is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function fromBase64(text: string): Buffer {
  const compact = text.replace(/\s/g, '');
  if (!compact || !BASE64.test(compact)) throw new ImageProblem('is neither a URL nor valid base64');
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
}

async function bytesOf(value: string, accepts: ImageAccepts, limits: ImageLimits): Promise<Buffer> {
  const maxBytes = limits.maxImageBytes;
  const text = value.trim();
  if (URL_PATTERN.test(text)) {
    if (accepts === 'base64') throw new ImageProblem('must be a base64-encoded image (URLs are not accepted here)');
    return download(text, limits);
  }
  if (accepts === 'url') throw new ImageProblem('must be a public http(s) URL (base64 is not accepted here)');
  const dataUri = DATA_URI.exec(text);
  const data = fromBase64(dataUri ? dataUri[2] : text);
  if (data.length > maxBytes) throw new ImageProblem(`the image is larger than ${maxBytes} bytes`);
  return data;
}

/** Reads one image field value into checked bytes; a bad one becomes a 400 naming `field`. */
export async function decodeImage(field: string, value: string, accepts: ImageAccepts, limits: ImageLimits): Promise<DecodedImage> {
  try {
    const data = await bytesOf(value, accepts, limits);
    // Headers only; the pixel cap below is what keeps a decompression bomb out of every endpoint.
    const meta = await sharp(data, { limitInputPixels: false })
      .metadata()
      .catch(() => {
        throw new ImageProblem('could not be decoded as an image');
      });
    if (!meta.format || !meta.width || !meta.height) throw new ImageProblem('could not be decoded as an image');
    if (meta.width * meta.height > limits.maxInputPixels) {
      throw new ImageProblem(`is too large: ${meta.width}×${meta.height} pixels; at most ${limits.maxInputPixels} pixels are accepted`);
    }
    // Dimensions as displayed (EXIF orientation applied), which is what outputs are sized from.
    const oriented = meta.autoOrient ?? { width: meta.width, height: meta.height };
    return { field, data, format: meta.format, width: oriented.width, height: oriented.height };
  } catch (e) {
    if (e instanceof ImageProblem) throw invalidParams([{ name: field, reason: `${field} ${e.message}` }]);
    throw e;
  }
}

/** Decodes every image of the declared fields, reporting all bad ones at once. */
export async function decodeImageFields(
  body: Record<string, unknown>,
  fields: readonly ImageField[],
  limits: ImageLimits,
): Promise<Record<string, DecodedImage[]>> {
  const result: Record<string, DecodedImage[]> = {};
  const problems: { name: string; reason: string }[] = [];
  for (const field of fields) {
    const raw = body[field.name];
    const values = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
    result[field.name] = [];
    for (const [i, value] of values.entries()) {
      const name = field.list ? `${field.name}.${i}` : field.name;
      try {
        result[field.name].push(await decodeImage(name, String(value), field.accepts, limits));
      } catch (e) {
        if (e instanceof SimHttpError && Array.isArray(e.body.invalid_params)) problems.push(...(e.body.invalid_params as typeof problems));
        else throw e;
      }
    }
  }
  if (problems.length) throw invalidParams(problems);
  return result;
}
