// OpenAI Responses codec.
export type { ResponsesInputItem, ResponsesItemResolver } from "./responses-api.js";
export { decodeResponsesRequest, type DecodeResponsesRequestOptions } from "./decode-request.js";
export { encodeResponsesRequest, type EncodeResponsesRequestOptions } from "./encode-request.js";
export { decodeResponsesResponse } from "./decode-response.js";
export { encodeResponsesResponse, type EncodeResponsesResponseArgs } from "./encode-response.js";
export { createResponsesStreamEncoder, type ResponsesStreamEncoderArgs } from "./stream-encoder.js";
export { createResponsesStreamDecoder } from "./stream-decoder.js";
export { mapResponsesStatus, toResponsesOutcome, type ResponsesOutcome } from "./finish-reason.js";
export { decodeResponsesUsage, encodeResponsesUsage } from "./usage.js";
