export type * from './types.ts';
export { createEngine, type CreateEngineOptions, type PikflowEngine } from './engine.ts';
export { engineConfigFromEnv, webhooksEnabled, DEFAULT_POLL } from './config.ts';
export { createAssetStore } from './asset-store.ts';
export { signWebhook, verifyWebhook, WEBHOOK_TOLERANCE_SECONDS } from './webhook.ts';
export { createLogger } from './logger.ts';
export type { BatchItemInput } from './batches.ts';
export type { QuotaConfig, ServiceOverride } from './quota-table.ts';
export { extensionOf } from './executor.ts';
