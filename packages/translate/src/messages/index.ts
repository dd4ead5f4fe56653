// Anthropic Messages codec: requests, responses and streams to and from the hub.
export { decodeMessagesRequest } from "./decode-request.js";
export { encodeMessagesRequest, DEFAULT_MESSAGES_MAX_TOKENS, type EncodeMessagesRequestOptions } from "./encode-request.js";
export { messagesOnlyFieldWarnings } from "./cross-format-warnings.js";
export { decodeMessagesResponse } from "./decode-response.js";
export { encodeMessagesResponse } from "./encode-response.js";
export { createMessagesStreamDecoder, type MessagesStreamDecoderOptions } from "./stream-decoder.js";
export { createMessagesStreamEncoder, type MessagesStreamEncoderArgs } from "./stream-encoder.js";
export { encodeMessagesPing } from "./ping.js";
export { estimateInputTokens } from "./estimate-input-tokens.js";
export { messagesErrorBody, messagesErrorType, messagesStreamErrorType, type MessagesErrorBody } from "./error-body.js";
export { mapFinishReasonToMessages, mapMessagesStopReason, type MessagesStop } from "./finish-reason.js";
export { decodeMessagesUsage, encodeMessagesUsage, type MessagesUsage } from "./usage.js";
export { effortForThinkingBudget, thinkingBudgetForEffort } from "./thinking-budget.js";
export { editAnthropicBetas, type AnthropicBetaEdit } from "./betas.js";
export type { MessagesErrorType, MessagesStopReason } from "./messages-api.js";
