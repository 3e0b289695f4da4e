export { buildApp, reservePort, SERVER_VERSION, startServer } from './app.ts';
export type { BuildAppOptions, EngineFactoryInput, PikflowInfo, StartServerResult } from './app.ts';
export { isLoopbackAddress, loadConfig } from './config.ts';
export type { ServerConfig } from './config.ts';
export { createLogger, secretScrubber } from './logger.ts';
export { ApiTokens, hashToken } from './services/api-tokens.ts';
