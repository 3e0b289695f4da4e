import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { checkImageUrl, isPrivateAddress } from '@pikflow/pipeline/url-safety';
import sharp from 'sharp';
import { Agent, type Dispatcher, request } from 'undici';
import type { DecodedImage, ImageAccepts, ImageField } from '../endpoints/types.ts';
import type { HostResolver, SimConfig } from './config.ts';
import { SimHttpError, invalidParams } from './errors.ts';

/** What decoding an image field may do: size and pixel caps, which private origins it may fetch, how names resolve. */
export type ImageLimits = Pick<SimConfig, 'maxImageBytes' | 'maxInputPixels' | 'privateImageOrigins'> & Partial<Pick<SimConfig, 'resolveHost'>>;

const MAX_REDIRECTS = 3;
const PRIVATE_TARGET = 'could not download the image from the URL (it points at a private or loopback address)';

const URL_PATTERN = /^https?:\/\//i;
const DATA_URI = /^data:([\w.+/-]+)?(?:;[\w-]+=[^;,]*)*;base64,(.*)$/is;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Thrown per field so several bad images can be reported together. */
class ImageProblem extends Error {}

/** What the connection's own lookup throws when a name resolves to a private address. */
class PrivateAddressRefused extends Error {}

/** The system resolver: every address of the name, as `dns.lookup` gives them. */
export const systemResolver: HostResolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * Why the simulator must not fetch `url`, or undefined. A private or loopback target is
 * allowed only when its origin is listed (the Pikflow server that hands images over by
 * URL) — never as a redirect target — so a URL cannot make the simulator probe this
 * machine or its network, and every refusal reads the same. This early check gives the
 * clear message; the connection checks again on the address it actually dials.
 */
async function refusal(url: URL, allowPrivate: boolean, resolve: HostResolver): Promise<string | undefined> {
  const problem = checkImageUrl(url.href, { allowPrivate });
  if (problem) return /private|loopback|local host/.test(problem) ? PRIVATE_TARGET : `could not download the image from the URL (${problem})`;
  if (allowPrivate) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = await resolve(host).catch(() => []);
  if (addresses.length === 0) return 'could not download the image from the URL (its host name does not resolve)';
  if (addresses.some((a) => isPrivateAddress(a.address))) return PRIVATE_TARGET;
  return undefined;
}

/**
 * A connection pool whose sockets dial only addresses checked at connect time: the name
 * is resolved once, inside the socket's own lookup, and that answer is both checked and
 * dialled. Checking in `refusal` alone leaves a DNS-rebinding window (a name answering
 * public to the check and 127.0.0.1 to the connection). IP literals skip lookup and were
 * judged by `checkImageUrl` already.
 */
function pinnedAgent(allowPrivate: boolean, resolve: HostResolver): Agent {
  const pinnedLookup: LookupFunction = (hostname, options, callback) => {
    resolve(hostname)
      .then((found) => {
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const addresses = found.filter((a) => family === 0 || a.family === family);
        if (addresses.length === 0) throw Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' });
        const bad = addresses.find((a) => isPrivateAddress(a.address));
        if (bad && !allowPrivate) throw new PrivateAddressRefused(`${hostname} resolves to ${bad.address}`);
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, '', 4));
  };
  return new Agent({ connect: { lookup: pinnedLookup, timeout: 10_000 }, keepAliveTimeout: 1, pipelining: 0 });
}

function causedByPrivateAddress(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof PrivateAddressRefused) return true;
  return false;
}

async function download(url: string, limits: ImageLimits): Promise<Buffer> {
  const maxBytes = limits.maxImageBytes;
  const resolve = limits.resolveHost ?? systemResolver;
  const agents: Agent[] = [];
  try {
    let target = new URL(url);
    let response: Dispatcher.ResponseData | undefined;
    for (let hop = 0; ; hop++) {
      const allowPrivate =
        hop === 0 && (limits.privateImageOrigins === 'any' || limits.privateImageOrigins.some((o) => new URL(o).origin === target.origin));
      const why = await refusal(target, allowPrivate, resolve);
      if (why) throw new ImageProblem(why);
      const agent = pinnedAgent(allowPrivate, resolve);
      agents.push(agent);
      try {
        response = await request(target, { dispatcher: agent, signal: AbortSignal.timeout(15_000), headersTimeout: 15_000, bodyTimeout: 15_000 });
      } catch (e) {
        if (causedByPrivateAddress(e)) throw new ImageProblem(PRIVATE_TARGET);
        throw new ImageProblem(`could not download the image from the URL (${(e as Error).message})`);
      }
      const location = headerOf(response.headers, 'location');
      if (response.statusCode < 300 || response.statusCode >= 400 || !location) break;
      await response.body.dump().catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw new ImageProblem('could not download the image from the URL (too many redirects)');
      target = new URL(location, target);
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      await response.body.dump().catch(() => undefined);
      throw new ImageProblem(`could not download the image from the URL (HTTP ${response.statusCode})`);
    }
    const declared = Number(headerOf(response.headers, 'content-length') ?? 0);
    if (declared > maxBytes) throw new ImageProblem(`the image is larger than ${maxBytes} bytes`);
    // Read with a running total: a body without (or lying about) content-length stops at the cap.
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new ImageProblem(`the image is larger than ${maxBytes} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  } finally {
    // Everything read or abandoned by now: drop the sockets, not keep them for a next image.
    for (const agent of agents) await agent.destroy().catch(() => undefined);
  }
}

function headerOf(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
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
    // Headers only, uncapped so an oversize image gets the message below with its size; the
    // endpoints that decode pixels pass the same cap to sharp (`maxInputPixels`) as well.
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
