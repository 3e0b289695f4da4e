import type { NodeDefinition } from './define-node.ts';
import { fileServiceUpload } from './nodes/file-service-upload.ts';
import { gemini25Flash } from './nodes/gemini-2-5-flash.ts';
import { imageInput } from './nodes/image-input.ts';
import { output } from './nodes/output.ts';
import { textInput } from './nodes/text-input.ts';
import { upscalerPrecisionV2 } from './nodes/upscaler-precision-v2.ts';
import { aiClassifier } from './nodes/ai-classifier.ts';
import { fluxDev } from './nodes/flux-dev.ts';
import { imageExpandFluxPro } from './nodes/image-expand-flux-pro.ts';
import { imagen3 } from './nodes/imagen3.ts';
import { klingElementsPro } from './nodes/kling-elements-pro.ts';
import { klingElementsStd } from './nodes/kling-elements-std.ts';
import { klingV2 } from './nodes/kling-v2.ts';
import { klingV21Master } from './nodes/kling-v2-1-master.ts';
import { klingV21Pro } from './nodes/kling-v2-1-pro.ts';
import { klingV21Std } from './nodes/kling-v2-1-std.ts';
import { loraTrainCharacter } from './nodes/lora-train-character.ts';
import { loraTrainStyle } from './nodes/lora-train-style.ts';
import { lorasList } from './nodes/loras-list.ts';
import { mystic } from './nodes/mystic.ts';
import { reimagineFlux } from './nodes/reimagine-flux.ts';
import { relight } from './nodes/relight.ts';
import { removeBackground } from './nodes/remove-background.ts';
import { stockIconDetail } from './nodes/stock-icon-detail.ts';
import { stockIconDownload } from './nodes/stock-icon-download.ts';
import { stockIconsSearch } from './nodes/stock-icons-search.ts';
import { stockResourceDownload } from './nodes/stock-resource-download.ts';
import { stockResourceDownloadFormat } from './nodes/stock-resource-download-format.ts';
import { stockResourcesSearch } from './nodes/stock-resources-search.ts';
import { styleTransfer } from './nodes/style-transfer.ts';
import { textToIcon } from './nodes/text-to-icon.ts';
import { textToIconPreview } from './nodes/text-to-icon-preview.ts';
import { textToIconRender } from './nodes/text-to-icon-render.ts';
import { upscalerCreative } from './nodes/upscaler-creative.ts';
import { upscalerPrecisionV1 } from './nodes/upscaler-precision-v1.ts';

/** Every node type. Adding an endpoint: its file in nodes/ plus one line here. */
export const NODE_DEFINITIONS: readonly NodeDefinition[] = [
  imageInput,
  textInput,
  output,
  gemini25Flash,
  upscalerPrecisionV2,
  fileServiceUpload,
  mystic,
  imagen3,
  fluxDev,
  reimagineFlux,
  upscalerCreative,
  upscalerPrecisionV1,
  relight,
  styleTransfer,
  imageExpandFluxPro,
  removeBackground,
  klingV21Master,
  klingV21Pro,
  klingV21Std,
  klingV2,
  klingElementsPro,
  klingElementsStd,
  textToIcon,
  textToIconPreview,
  textToIconRender,
  lorasList,
  loraTrainStyle,
  loraTrainCharacter,
  aiClassifier,
  stockResourcesSearch,
  stockResourceDownload,
  stockResourceDownloadFormat,
  stockIconsSearch,
  stockIconDetail,
  stockIconDownload,
] as unknown as NodeDefinition[];

const byId = new Map(NODE_DEFINITIONS.map((d) => [d.id, d]));
if (byId.size !== NODE_DEFINITIONS.length) throw new Error('duplicate node id in the registry');

export function getNode(id: string): NodeDefinition | undefined {
  return byId.get(id);
}

export function listNodes(): readonly NodeDefinition[] {
  return NODE_DEFINITIONS;
}
