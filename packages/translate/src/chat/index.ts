// OpenAI Chat Completions codec.
export { decodeChatRequest, decodeChatResponseFormat } from "./decode-chat-request.js";
export { encodeChatRequest, encodeChatResponseFormat, type EncodeChatRequestOptions } from "./encode-chat-request.js";
export { decodeChatResponse } from "./decode-chat-response.js";
export { encodeChatResponse, type EncodeChatResponseOptions } from "./encode-chat-response.js";
export { createChatStreamDecoder } from "./chat-stream-decoder.js";
export { createChatStreamEncoder, type ChatStreamEncoderOptions } from "./chat-stream-encoder.js";
export { mapChatFinishReason, toChatFinishReason, type ChatFinishReason } from "./map-chat-finish-reason.js";
export { decodeChatUsage, encodeChatUsage } from "./convert-chat-usage.js";
