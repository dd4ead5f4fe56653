// Wire types of OpenAI Chat Completions, as far as the codec names them across modules. Bodies are
// validated field by field by the decoders; these types say what the encoders write.

import type { OpenAIErrorBody } from "../shared/openai-error.js";

export type ChatRole = "system" | "developer" | "user" | "assistant" | "tool";

export interface ChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

/** `POST /chat/completions` without `stream`. */
export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: { index: number; message: Record<string, unknown>; finish_reason: string | null; logprobs: unknown }[];
  usage?: ChatUsage;
}

/** One `data:` line of a chat stream; the stream ends with `data: [DONE]`. */
export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: { index: number; delta: Record<string, unknown>; finish_reason: string | null; logprobs?: unknown }[];
  usage?: ChatUsage | null;
}

export type ChatErrorBody = OpenAIErrorBody;
