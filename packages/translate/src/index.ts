// Wire-format translation between OpenAI Chat Completions, OpenAI Responses and Anthropic Messages.
export * from "./ir.js";
export * from "./codec.js";
export { codecs } from "./codecs.js";
export * from "./messages/index.js";
export * from "./chat/index.js";
export * from "./responses/index.js";
export { DEFAULT_MAX_JSON_DEPTH, MAX_UPSTREAM_JSON_DEPTH, jsonDeeperThan, parseUpstreamJson } from "./shared/json-depth.js";
export { type JsonPath, type JsonScan, scanJson } from "./shared/json-scan.js";
export { type JsonShape, compileShape } from "./shared/json-shape.js";
export { isOpaqueTextPath } from "./shared/opaque-text-paths.js";
export { type RateLimitState, type RateLimitWindow } from "./shared/rate-limit-headers.js";
export * from "./modules/index.js";
