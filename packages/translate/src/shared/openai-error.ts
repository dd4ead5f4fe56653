// What both OpenAI formats share beyond their bodies: the error body `{"error":{message,type,param,code}}`
// and bearer auth.

import type { ErrorInfo } from "../codec.js";

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function openAIErrorBody(err: ErrorInfo): OpenAIErrorBody {
  return { error: { message: err.message, type: err.type, param: err.param, code: err.code } };
}

export function openAIBackendHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}
