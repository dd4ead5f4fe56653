// Anthropic Messages codec: requests, responses and streams to and from the hub.
export { decodeMessagesRequest } from "./decode-messages-request.js";
export { encodeMessagesRequest, DEFAULT_MESSAGES_MAX_TOKENS, type EncodeMessagesRequestOptions } from "./encode-messages-request.js";
export { messagesOnlyFieldWarnings } from "./messages-only-field-warnings.js";
export { decodeMessagesResponse } from "./decode-messages-response.js";
export { encodeMessagesResponse } from "./encode-messages-response.js";
export { createMessagesStreamDecoder, type MessagesStreamDecoderOptions } from "./create-messages-stream-decoder.js";
export { createMessagesStreamEncoder, type MessagesStreamEncoderArgs } from "./create-messages-stream-encoder.js";
export { encodeMessagesPing } from "./encode-messages-ping.js";
export { messagesErrorBody, messagesErrorType, messagesStreamErrorType, type MessagesErrorBody } from "./messages-error-body.js";
export { mapMessagesStopReason } from "./map-messages-stop-reason.js";
export { mapFinishReasonToMessages, type MessagesStop } from "./map-finish-reason-to-messages.js";
export { decodeMessagesUsage, encodeMessagesUsage, type MessagesUsage } from "./convert-messages-usage.js";
export { effortForThinkingBudget, thinkingBudgetForEffort } from "./thinking-budget.js";
export type { MessagesErrorType, MessagesStopReason } from "./messages-api.js";
