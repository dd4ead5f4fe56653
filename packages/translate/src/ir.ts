// The hub: one internal model of a request, a finished response and a stream of events.
// Every wire format decodes into it and encodes out of it, so N formats need 2N codecs, not N×N.

/** What kind of loss a warning records: the trace and the dashboard group warnings by it. */
export const WARNING_CODES = [
  /** A field with no equivalent in the target format. */
  "field_dropped",
  /** A content part, block or item with no equivalent in the target format. */
  "content_dropped",
  /** A tool or tool call the target cannot take or run. */
  "tool_dropped",
  /** Reasoning the target cannot take: its history, its signature, or the setting itself. */
  "reasoning_dropped",
  /** Answers beyond the one the target format has room for. */
  "choice_dropped",
  /** A value changed to fit the target: clamped, raised, hashed, approximated, sent another way. */
  "value_adjusted",
  /** A part of an upstream answer of an unexpected shape, skipped. */
  "invalid_part_dropped",
  /** A tool call past the client's `max_tool_calls`, dropped by the proxy. */
  "tool_call_limit",
  /** A Responses answer the proxy could not store. */
  "not_stored",
  /** A tool-call block in a model's text that did not read as a call (or outgrew its limit), kept as text. */
  "tool_call_unparsed",
] as const;

export type WarningCode = (typeof WARNING_CODES)[number];

/** A dropped or approximated field. Traces show these; a translation never loses data silently. */
export interface TranslationWarning {
  code: WarningCode;
  /** Dotted path of the field in the source document, e.g. `tools[2]` or `top_k`. */
  path: string;
  message: string;
}

export interface Translated<T> {
  value: T;
  warnings: TranslationWarning[];
}

/** Every wire format the proxy speaks, to clients and to backends. */
export const WIRE_FORMATS = ["chat", "responses", "messages"] as const;

export type WireFormat = (typeof WIRE_FORMATS)[number];

/** Opaque provider data with no common meaning, kept so a round trip in the same family loses nothing. */
export type ProviderData = Record<string, unknown>;

// ───────────────────────── content parts ─────────────────────────

export interface TextPart {
  type: "text";
  text: string;
  /** Responses/Chat url_citation and friends, kept as the source sent them. */
  annotations?: unknown[];
  /** Anthropic `cache_control`, carried for Anthropic backends. */
  cacheControl?: unknown;
  /** Responses `phase` of the assistant message this text came from (`commentary`, `final_answer`). */
  phase?: string;
}

export type MediaSource =
  | { kind: "url"; url: string }
  | { kind: "base64"; mediaType: string; data: string }
  | { kind: "file_id"; fileId: string }
  /** Plain-text document (Anthropic `document` with a text source). */
  | { kind: "text"; text: string; mediaType?: string };

export interface ImagePart {
  type: "image";
  source: MediaSource;
  detail?: "auto" | "low" | "high" | "original";
  /** Anthropic `cache_control`, carried for Anthropic backends. */
  cacheControl?: unknown;
}

export interface FilePart {
  type: "file";
  source: MediaSource;
  filename?: string;
  title?: string;
  /** Anthropic `cache_control`, carried for Anthropic backends. */
  cacheControl?: unknown;
}

export interface AudioPart {
  type: "audio";
  data: string;
  format: string;
}

export interface RefusalPart {
  type: "refusal";
  text: string;
}

/**
 * Model reasoning. `text` is the readable reasoning (Anthropic thinking, chat `reasoning_content`,
 * Responses summary or reasoning_text). Opaque fields ride along for replay: Anthropic requires the
 * signature back byte for byte; Responses wants `encrypted_content` and may use the item id.
 */
export interface ReasoningPart {
  type: "reasoning";
  text: string;
  /** Responses summary parts, when the source had them split. */
  summary?: string[];
  /** Whether `text` came from a summary (Responses `summary_text`) or raw reasoning (`reasoning_text`). */
  kind?: "summary" | "raw";
  signature?: string;
  /** Anthropic `redacted_thinking.data`. */
  redactedData?: string;
  encryptedContent?: string;
  /** Responses reasoning item id (`rs_…`). */
  id?: string;
}

export interface ToolCallPart {
  type: "tool_call";
  /** Chat `tool_calls[].id` = Responses `call_id` = Anthropic `tool_use.id`. */
  id: string;
  name: string;
  /** JSON text, as OpenAI carries it. */
  arguments: string;
  /** Responses function_call item id (`fc_…`), kept for round trips. */
  itemId?: string;
  /** Anthropic `cache_control` on the `tool_use` block, carried for Anthropic backends. */
  cacheControl?: unknown;
  /** What kind of client tool was called, when it is not a plain function (set from history or the request's tools). */
  client?: ClientToolKind;
}

/**
 * A web search the backend ran itself (Anthropic `server_tool_use` + `web_search_tool_result`,
 * Responses `web_search_call`): what was searched and what was found, already done when it arrives.
 */
export interface WebSearchCallPart {
  type: "web_search_call";
  /** The backend's id of the search (Anthropic `srvtoolu_…`). */
  id: string;
  status: "completed" | "failed";
  query?: string;
  sources?: Array<{ url: string; title?: string }>;
  /** Why a failed search failed (Anthropic `error_code`: `max_uses_exceeded`, `too_many_requests`, …). */
  errorCode?: string;
}

export type ToolResultContentPart = TextPart | ImagePart | FilePart;

export type UserPart = TextPart | ImagePart | FilePart | AudioPart;
export type AssistantPart = TextPart | RefusalPart | ReasoningPart | ToolCallPart | AudioOutputPart | WebSearchCallPart;

/** Chat audio output (`message.audio`), carried as a part. */
export interface AudioOutputPart {
  type: "audio_output";
  id?: string;
  data?: string;
  transcript?: string;
  expiresAt?: number;
}

// ───────────────────────── request ─────────────────────────

export type Message =
  | { role: "system" | "developer"; content: TextPart[] }
  | { role: "user"; content: UserPart[] }
  | { role: "assistant"; content: AssistantPart[] }
  | {
      role: "tool";
      toolCallId: string;
      content: ToolResultContentPart[];
      isError?: boolean;
      /** Anthropic `cache_control` on the `tool_result` block, carried for Anthropic backends. */
      cacheControl?: unknown;
    };

/**
 * A tool the client runs itself that its own format does not call a plain function. Backends see
 * a function tool under the hub name; the client's encoder maps calls of that name back.
 */
export type ClientToolKind =
  /** Responses `custom` tool: freeform text, carried as the function's one string parameter `input`. */
  | { type: "custom"; description?: string; format?: Record<string, unknown> }
  /** Responses `tool_search` run by the client: calls come back as `tool_search_call` items. */
  | { type: "tool_search"; execution: string; description?: string }
  /** A function of a Responses `namespace` tool (an MCP server's), flattened under a unique hub name. */
  | { type: "namespaced"; namespace: string; name: string; description?: string; namespaceDescription?: string };

export interface FunctionTool {
  type: "function";
  name: string;
  description?: string;
  /** JSON schema of the arguments. */
  parameters: Record<string, unknown>;
  strict?: boolean;
  cacheControl?: unknown;
  /** Set when the client's format does not call this tool a plain function. */
  client?: ClientToolKind;
  /** Loaded by a tool search earlier in the conversation: backends get it, the client's echo does not. */
  loaded?: boolean;
}

/** A hosted web search the client offered (Responses `web_search`); a backend that can host one runs it. */
export interface WebSearchTool {
  /** The client's tool as it sent it: a Responses backend gets it back unchanged. */
  raw: Record<string, unknown>;
  /** Where it sat in the client's request (`tools[3]`), for warnings. */
  path: string;
  allowedDomains?: string[];
  userLocation?: { city?: string; region?: string; country?: string; timezone?: string };
  /** The client's settings with no hub field (`search_context_size`, …): lost on a backend of another format. */
  unmapped: string[];
}

export type ToolChoice =
  { type: "auto" } | { type: "none" } | { type: "required" } | { type: "tool"; name: string } | { type: "allowed"; mode: "auto" | "required"; names: string[] };

export type ResponseFormat =
  { type: "text" } | { type: "json_object" } | { type: "json_schema"; name: string; schema: Record<string, unknown>; strict?: boolean; description?: string };

export type ReasoningEffort = "none" | "minimal" | "low" | "medium" | "high" | "xhigh" | "max";

export interface ReasoningConfig {
  effort?: ReasoningEffort;
  summary?: "auto" | "concise" | "detailed";
  /** Anthropic thinking budget, when the client gave one. */
  budgetTokens?: number;
  /** True when the client turned reasoning off explicitly. */
  disabled?: boolean;
}

export interface LlmRequest {
  model: string;
  messages: Message[];
  tools?: FunctionTool[];
  webSearch?: WebSearchTool;
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  n?: number;
  seed?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  logprobs?: boolean;
  topLogprobs?: number;
  responseFormat?: ResponseFormat;
  verbosity?: "low" | "medium" | "high";
  reasoning?: ReasoningConfig;
  stream: boolean;
  /** The client asked for usage in the stream (chat `stream_options.include_usage`). */
  streamIncludeUsage?: boolean;
  user?: string;
  metadata?: Record<string, string>;
  serviceTier?: string;
  promptCacheKey?: string;
  safetyIdentifier?: string;
  maxToolCalls?: number;
  /** Fields of the source format with no hub meaning, keyed by the format they belong to. */
  passthrough?: Partial<Record<WireFormat, Record<string, unknown>>>;
}

// ───────────────────────── response ─────────────────────────

/** Closed union; the raw value is kept beside it. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "refusal" | "error" | "other";

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedInputTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
  /** Provider details with no common field (Anthropic service_tier, audio tokens…). */
  raw?: ProviderData;
}

export interface Choice {
  index: number;
  content: AssistantPart[];
  finishReason: FinishReason;
  /** The upstream's own value: `end_turn`, `stop_sequence`, `max_output_tokens`… */
  rawFinishReason?: string;
  /** Anthropic `stop_sequence` that matched. */
  stopSequence?: string;
}

export interface LlmResponse {
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
  choices: Choice[];
  usage?: Usage;
  serviceTier?: string;
  systemFingerprint?: string;
}

// ───────────────────────── stream ─────────────────────────

export interface StreamError {
  /** HTTP status the upstream answered with, when there was one. */
  status?: number;
  /** OpenAI error type / Anthropic error type, e.g. `server_error`, `overloaded_error`. */
  type: string;
  code?: string | null;
  message: string;
}

/**
 * One event of a model's answer, format-neutral. `choice` is the chat choice index (0 unless n > 1);
 * `index` on tool-call events is the call's position among that choice's tool calls.
 */
export type StreamEvent =
  | { type: "start"; id: string; model: string; created: number; usage?: Usage }
  | {
      type: "text_delta";
      choice: number;
      delta: string;
      annotations?: unknown[];
      /** The annotations cover the last this many characters of the text (a citation of a whole block, sent at its end). */
      annotated?: number;
    }
  | { type: "refusal_delta"; choice: number; delta: string }
  | { type: "reasoning_delta"; choice: number; delta: string; kind?: "summary" | "raw" }
  | { type: "reasoning_signature"; choice: number; signature: string }
  | { type: "reasoning_encrypted"; choice: number; encryptedContent: string; id?: string }
  | { type: "reasoning_redacted"; choice: number; data: string }
  /** The reasoning block of this choice is complete (lets encoders close it before text starts). */
  | { type: "reasoning_end"; choice: number }
  | { type: "tool_call_start"; choice: number; index: number; id: string; name: string; itemId?: string }
  | { type: "tool_call_delta"; choice: number; index: number; argumentsDelta: string }
  | { type: "tool_call_end"; choice: number; index: number }
  | { type: "audio_delta"; choice: number; id?: string; data?: string; transcript?: string; expiresAt?: number }
  /** A search the backend ran, whole: its query and its results came together. */
  | { type: "web_search_call"; choice: number; call: WebSearchCallPart }
  | { type: "finish"; choice: number; reason: FinishReason; raw?: string; stopSequence?: string }
  | { type: "usage"; usage: Usage }
  | { type: "error"; error: StreamError }
  /** The upstream stream ended cleanly (`[DONE]`, `message_stop`, terminal Responses event). */
  | { type: "end" };

/** Clock and id source, injected so translators stay pure and testable. */
export interface TranslateContext {
  /** Unix seconds. */
  now(): number;
  /** A fresh id with the given prefix (`resp_`, `msg_`, `fc_`, `call_`, `rs_`, `toolu_`, `chatcmpl-`). */
  newId(prefix: string): string;
}
