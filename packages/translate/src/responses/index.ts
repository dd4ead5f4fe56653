// OpenAI Responses codec.
export type { ResponsesInputItem, ResponsesItemResolver } from "./responses-api.js";
export { decodeResponsesRequest, type DecodeResponsesRequestOptions } from "./decode-responses-request.js";
export { encodeResponsesRequest, type EncodeResponsesRequestOptions } from "./encode-responses-request.js";
export { decodeResponsesResponse } from "./decode-responses-response.js";
export { encodeResponsesResponse, type EncodeResponsesResponseArgs } from "./encode-responses-response.js";
export { createResponsesStreamEncoder, type ResponsesStreamEncoderArgs } from "./responses-stream-encoder.js";
export { createResponsesStreamDecoder } from "./responses-stream-decoder.js";
export { mapResponsesStatus, toResponsesOutcome, type ResponsesOutcome } from "./map-responses-finish-reason.js";
export { decodeResponsesUsage, encodeResponsesUsage } from "./convert-responses-usage.js";
