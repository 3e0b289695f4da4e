export * from './document.ts';
export * from './api-types.ts';
export * from './url-safety.ts';
export * from './graph.ts';
export * from './validate.ts';
export * from './plan.ts';
export * from './run-inputs.ts';
export * from './templates.ts';
