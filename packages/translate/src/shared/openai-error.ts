// The error body both OpenAI formats answer with: `{"error":{message,type,param,code}}`.

import type { ErrorInfo } from "../codec.js";

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function openAIErrorBody(err: ErrorInfo): OpenAIErrorBody {
  return { error: { message: err.message, type: err.type, param: err.param, code: err.code } };
}
