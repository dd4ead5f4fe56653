// OpenAI Chat Completions codec.
export { decodeChatRequest, decodeChatResponseFormat } from "./decode-request.js";
export { encodeChatRequest, encodeChatResponseFormat, type EncodeChatRequestOptions } from "./encode-request.js";
export { decodeChatResponse } from "./decode-response.js";
export { encodeChatResponse, type EncodeChatResponseOptions } from "./encode-response.js";
export { createChatStreamDecoder } from "./stream-decoder.js";
export { createChatStreamEncoder, type ChatStreamEncoderOptions } from "./stream-encoder.js";
export { mapChatFinishReason, toChatFinishReason, type ChatFinishReason } from "./finish-reason.js";
export { decodeChatUsage, encodeChatUsage } from "./usage.js";
export type { ChatCompletion, ChatCompletionChunk, ChatErrorBody, ChatRole, ChatToolCall, ChatUsage } from "./chat-api.js";
