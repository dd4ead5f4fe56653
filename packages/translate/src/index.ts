// Wire-format translation between OpenAI Chat Completions, OpenAI Responses and Anthropic Messages.
export * from "./ir.js";
export * from "./codec.js";
export * from "./messages/index.js";
export * from "./chat/index.js";
export * from "./responses/index.js";
