import { gemini25Flash } from './gemini-2-5-flash.ts';
import { aiClassifier } from './ai-classifier.ts';
import { fluxDev } from './flux-dev.ts';
import { imageExpandFluxPro } from './image-expand-flux-pro.ts';
import { imagen3 } from './imagen3.ts';
import { klingElementsPro } from './kling-elements-pro.ts';
import { klingElementsStd } from './kling-elements-std.ts';
import { klingV2 } from './kling-v2.ts';
import { klingV21Master } from './kling-v2-1-master.ts';
import { klingV21Pro } from './kling-v2-1-pro.ts';
import { klingV21Std } from './kling-v2-1-std.ts';
import { loras } from './loras.ts';
import { mystic } from './mystic.ts';
import { reimagineFlux } from './reimagine-flux.ts';
import { relight } from './relight.ts';
import { removeBackground } from './remove-background.ts';
import { stockIcons } from './stock-icons.ts';
import { stockResources } from './stock-resources.ts';
import { styleTransfer } from './style-transfer.ts';
import { textToIcon } from './text-to-icon.ts';
import { textToIconPreview } from './text-to-icon-preview.ts';
import { textToIconRender } from './text-to-icon-render.ts';
import { upscalerCreative } from './upscaler-creative.ts';
import { upscalerPrecisionV1 } from './upscaler-precision-v1.ts';
import type { SimEndpoint } from './types.ts';
import { upscalerPrecisionV2 } from './upscaler-precision-v2.ts';

/** Every simulated endpoint. Adding one: its file in this folder plus one line here. */
export const SIM_ENDPOINTS: readonly SimEndpoint[] = [
  gemini25Flash,
  upscalerPrecisionV2,
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
  loras,
  aiClassifier,
  stockResources,
  stockIcons,
];
