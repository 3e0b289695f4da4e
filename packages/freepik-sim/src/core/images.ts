import sharp from 'sharp';
import type { DecodedImage, ImageAccepts, ImageField } from '../endpoints/types.ts';
import { SimHttpError, invalidParams } from './errors.ts';

const URL_PATTERN = /^https?:\/\//i;
const DATA_URI = /^data:([\w.+/-]+)?(?:;[\w-]+=[^;,]*)*;base64,(.*)$/is;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Thrown per field so several bad images can be reported together. */
class ImageProblem extends Error {}

async function download(url: string, maxBytes: number): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(15_000), redirect: 'follow' });
  } catch (e) {
    throw new ImageProblem(`could not download the image from the URL (${(e as Error).message})`);
  }
  if (!response.ok) throw new ImageProblem(`could not download the image from the URL (HTTP ${response.status})`);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) throw new ImageProblem(`the image is larger than ${maxBytes} bytes`);
  const data = Buffer.from(await response.arrayBuffer());
  if (data.length > maxBytes) throw new ImageProblem(`the image is larger than ${maxBytes} bytes`);
  return data;
}

function fromBase64(text: string): Buffer {
  const compact = text.replace(/\s/g, '');
  if (!compact || !BASE64.test(compact)) throw new ImageProblem('is neither a URL nor valid base64');
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
}

async function bytesOf(value: string, accepts: ImageAccepts, maxBytes: number): Promise<Buffer> {
  const text = value.trim();
  if (URL_PATTERN.test(text)) {
    if (accepts === 'base64') throw new ImageProblem('must be a base64-encoded image (URLs are not accepted here)');
    return download(text, maxBytes);
  }
  if (accepts === 'url') throw new ImageProblem('must be a public http(s) URL (base64 is not accepted here)');
  const dataUri = DATA_URI.exec(text);
  const data = fromBase64(dataUri ? dataUri[2] : text);
  if (data.length > maxBytes) throw new ImageProblem(`the image is larger than ${maxBytes} bytes`);
  return data;
}

/** Reads one image field value into checked bytes; a bad one becomes a 400 naming `field`. */
export async function decodeImage(field: string, value: string, accepts: ImageAccepts, maxBytes: number): Promise<DecodedImage> {
  try {
    const data = await bytesOf(value, accepts, maxBytes);
    const meta = await sharp(data, { limitInputPixels: false })
      .metadata()
      .catch(() => {
        throw new ImageProblem('could not be decoded as an image');
      });
    if (!meta.format || !meta.width || !meta.height) throw new ImageProblem('could not be decoded as an image');
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
  maxBytes: number,
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
        result[field.name].push(await decodeImage(name, String(value), field.accepts, maxBytes));
      } catch (e) {
        if (e instanceof SimHttpError && Array.isArray(e.body.invalid_params)) problems.push(...(e.body.invalid_params as typeof problems));
        else throw e;
      }
    }
  }
  if (problems.length) throw invalidParams(problems);
  return result;
}
