// Wire-format translation between OpenAI Chat Completions, OpenAI Responses and Anthropic Messages.
export * from "./ir.js";
export * from "./codec.js";
