// Memory Mesh: semantic memory for AI applications — the TypeScript client.
export { MemoryMesh } from "./client.js";
export type * from "./client.js";
export { live } from "./live.js";
export type { LiveEvent, LiveOptions, WebSocketConstructor, WebSocketLike } from "./live.js";
export * from "./errors.js";
export type { components, paths } from "./schema.js";
