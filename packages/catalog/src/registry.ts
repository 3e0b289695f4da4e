import type { NodeDefinition } from './define-node.ts';
import { fileServiceUpload } from './nodes/file-service-upload.ts';
import { gemini25Flash } from './nodes/gemini-2-5-flash.ts';
import { imageInput } from './nodes/image-input.ts';
import { output } from './nodes/output.ts';
import { textInput } from './nodes/text-input.ts';
import { upscalerPrecisionV2 } from './nodes/upscaler-precision-v2.ts';

/** Every node type. Adding an endpoint: its file in nodes/ plus one line here. */
export const NODE_DEFINITIONS: readonly NodeDefinition[] = [
  imageInput,
  textInput,
  output,
  gemini25Flash,
  upscalerPrecisionV2,
  fileServiceUpload,
] as unknown as NodeDefinition[];

const byId = new Map(NODE_DEFINITIONS.map((d) => [d.id, d]));
if (byId.size !== NODE_DEFINITIONS.length) throw new Error('duplicate node id in the registry');

export function getNode(id: string): NodeDefinition | undefined {
  return byId.get(id);
}

export function listNodes(): readonly NodeDefinition[] {
  return NODE_DEFINITIONS;
}
