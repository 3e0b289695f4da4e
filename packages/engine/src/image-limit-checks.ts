/**
 * The catalog's documented limits, applied by the engine. Image limits (InputPort.imageLimits):
 * at trigger time to the images a run is started with (a 4xx before anything is stored or sent),
 * and in the executor to every image that reaches a limited port, including those made upstream
 * during the run and URLs the input node downloaded. Text run inputs linked to a param-named port
 * (Kling's 2,500-character prompt) take that param's schema at trigger time. Either way no
 * request goes to Freepik.
 */
import sharp from 'sharp';
import type { z } from 'zod';
import { PikflowError, checkImageLimits, getNode, type ImageFacts, type InputPort, type NodeDefinition, type ProblemDetail } from '@pikflow/catalog';
import { describeNode, readImageReference, type PipelineDocument, type PipelineNode, type RunInputOptions, type RunInputSpec } from '@pikflow/pipeline';
import type { StoredAsset } from './types.ts';

/** A port with limits, on the node it belongs to. */
export interface LimitedPort {
  node: PipelineNode;
  def: NodeDefinition;
  port: InputPort & { imageLimits: NonNullable<InputPort['imageLimits']> };
}

/**
 * The sentence for an image that breaks its port's limits, or null: e.g. `node kling (Kling v2
 * video): Start image (image) is 200×200 px; it must be at least 300×300 px`.
 */
export function imageLimitMessage(target: LimitedPort, image: ImageFacts, params: Record<string, unknown>, item?: number): string | null {
  const broken = checkImageLimits(target.port.imageLimits, image, params);
  if (!broken.length) return null;
  const port = `${target.port.label ?? target.port.name} (${target.port.name}${item !== undefined ? ` item ${item + 1}` : ''})`;
  return `${describeNode(target.node)} (${target.def.title}): ${port} ${broken.join('; also, it ')}`;
}

/** The node's params parsed with their defaults (the upscaler's scale), else as stored. */
export function paramsWithDefaults(node: PipelineNode, def: NodeDefinition): Record<string, unknown> {
  const parsed = def.params.safeParse(node.params);
  return (parsed.success ? parsed.data : node.params) as Record<string, unknown>;
}

/** Ports with image limits that the given node's outputs link to directly. */
export function limitedPortsFedBy(document: PipelineDocument, sourceNodeId: string): LimitedPort[] {
  const out: LimitedPort[] = [];
  for (const edge of document.edges) {
    if (edge.source !== sourceNodeId) continue;
    const node = document.nodes.find((n) => n.id === edge.target);
    const def = node && !node.bypass ? getNode(node.type) : undefined;
    const port = def?.inputs.find((p) => p.name === edge.targetHandle);
    if (node && def && port?.imageLimits) out.push({ node, def, port: port as LimitedPort['port'] });
  }
  return out;
}

/** Size, dimensions and format of an image held as bytes: sharp reads the headers only. */
export async function factsOfBytes(bytes: Uint8Array): Promise<ImageFacts> {
  const meta = await sharp(bytes, { failOn: 'none', limitInputPixels: false })
    .metadata()
    .catch(() => null);
  if (!meta) return { bytes: bytes.byteLength };
  const swap = (meta.orientation ?? 1) >= 5;
  const mime = meta.format === 'jpeg' || meta.format === 'png' || meta.format === 'webp' || meta.format === 'gif' ? `image/${meta.format}` : undefined;
  return { bytes: bytes.byteLength, width: swap ? meta.height : meta.width, height: swap ? meta.width : meta.height, ...(mime ? { mime } : {}) };
}

/** One 4xx naming the first broken node and port, listing every problem. */
export function imageLimitError(problems: (ProblemDetail & { message: string })[]): PikflowError {
  const message = problems.length === 1 ? problems[0]!.message : `${problems.length} images break documented limits: ${problems.map((p) => p.message).join('; ')}`;
  return new PikflowError('invalid_input', message, { nodeId: problems[0]!.nodeId, field: problems[0]!.field, problems });
}

/**
 * Every limit broken by the images a run starts with: uploaded assets (by their stored facts)
 * and data URIs (by their headers), against the ports their input nodes link to. URLs are not
 * fetched here; the input node downloads them when the run starts and the executor checks them
 * before the consumer submits.
 */
export async function runInputLimitProblems(
  document: PipelineDocument,
  specs: readonly RunInputSpec[],
  inputs: Record<string, unknown>,
  getAsset: (assetId: string) => Promise<StoredAsset | null>,
  options: RunInputOptions,
): Promise<(ProblemDetail & { message: string })[]> {
  const problems: (ProblemDetail & { message: string })[] = [];
  for (const spec of specs) {
    if (spec.type === 'text' || spec.type === 'number') {
      problems.push(...linkedParamProblems(document, spec, inputs[spec.name]));
      continue;
    }
    if (spec.type !== 'image' && spec.type !== 'image[]') continue;
    const targets = limitedPortsFedBy(document, spec.nodeId);
    if (!targets.length) continue;
    const values = [inputs[spec.name]].flat();
    for (const [i, value] of values.entries()) {
      const ref = readImageReference(value, options);
      if (typeof ref === 'string' || ref.kind === 'url') continue;
      let facts: ImageFacts;
      if (ref.kind === 'asset') {
        const asset = await getAsset(ref.assetId);
        if (!asset) continue; // reported as unknown_asset by the caller
        facts = { width: asset.width, height: asset.height, bytes: asset.size, mime: asset.mime };
      } else {
        facts = await factsOfBytes(Buffer.from(ref.base64, 'base64'));
      }
      for (const target of targets) {
        const message = imageLimitMessage(target, facts, paramsWithDefaults(target.node, target.def));
        const item = values.length > 1 ? ` item ${i + 1}` : '';
        if (message) problems.push({ nodeId: target.node.id, field: target.port.name, code: 'image_limit', message: `input "${spec.name}"${item} goes to ${message}` });
      }
    }
  }
  return problems;
}

/**
 * A text or number run input linked to a port named like a param (Kling's `prompt`) takes that
 * param's rules, e.g. its documented 2,500 characters: refused at the trigger, not at the submit.
 */
function linkedParamProblems(document: PipelineDocument, spec: RunInputSpec, value: unknown): (ProblemDetail & { message: string })[] {
  if (value === undefined) return [];
  const problems: (ProblemDetail & { message: string })[] = [];
  for (const edge of document.edges) {
    if (edge.source !== spec.nodeId) continue;
    const node = document.nodes.find((n) => n.id === edge.target);
    const def = node && !node.bypass ? getNode(node.type) : undefined;
    const field = (def?.params.shape as Record<string, z.ZodType> | undefined)?.[edge.targetHandle];
    const parsed = field?.safeParse(value);
    if (node && def && parsed && !parsed.success) {
      const message = `input "${spec.name}" goes to ${describeNode(node)} (${def.title}): ${edge.targetHandle}: ${parsed.error?.issues[0]?.message ?? 'not accepted'}`;
      problems.push({ nodeId: node.id, field: edge.targetHandle, code: 'param_limit', message });
    }
  }
  return problems;
}
