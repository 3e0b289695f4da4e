export * from './errors.ts';
export * from './ports.ts';
export * from './image-limits.ts';
export * from './task-response.ts';
export * from './define-node.ts';
export * from './freepik-task.ts';
export * from './registry.ts';
export * from './serialize.ts';
