// The public entry point of the edgerun package.
export { EdgeRunError, isEdgeRunError } from './engine/errors.js';
export type { EdgeRunErrorCode } from './engine/errors.js';
export { createRuntime, createRuntimeSync, detect, availableBuilds, getDefaultRuntime, setDefaultRuntime } from './kernels/runtime.js';
export type { Runtime, BuildKind, BuildRequest, Detection } from './kernels/runtime.js';
export { Arena } from './kernels/arena.js';
export { enableRelaxedSimdInNode } from './engine/platform.js';
