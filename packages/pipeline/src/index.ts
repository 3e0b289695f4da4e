export * from './document.ts';
export * from './api-types.ts';
