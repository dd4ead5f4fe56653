// The Response object and its output items, built the same way for a non-streamed answer and for
// the terminal event of a stream, so both carry identical JSON for the same content.

import type { LlmRequest, ReasoningPart, RefusalPart, TextPart, ToolCallPart, TranslationWarning, Usage, WebSearchCallPart } from "../ir.js";
import { toResponsesAnnotations } from "../shared/annotations.js";
import type { JsonObject } from "../shared/guards.js";
import { packReasoningOpaque } from "../shared/reasoning.js";
import { customInputOf, toolSearchArgumentsOf } from "./client-tools.js";
import { encodeResponsesUsage } from "./usage.js";
import type { ResponsesOutcome } from "./finish-reason.js";
import { encodeResponsesTextFormat, encodeResponsesToolChoice, encodeResponsesTools } from "./tools.js";
import { renderWebSearchCall } from "./web-search.js";

type ItemStatus = "in_progress" | "completed" | "incomplete";

/**
 * How raw reasoning (a chat backend's `reasoning_content`, think tags) reaches a Responses client:
 * as `reasoning_text` content, as a summary (what the AI SDK and Codex show), or as both.
 */
export type RawReasoningForm = "content" | "summary" | "both";
export const DEFAULT_RAW_REASONING_FORM: RawReasoningForm = "both";

/** One output item with hub content, before rendering. */
export type OutputItem =
  | { type: "reasoning"; id: string; part: ReasoningPart; rawAs?: RawReasoningForm | undefined }
  | { type: "message"; id: string; parts: (TextPart | RefusalPart)[]; status: ItemStatus }
  /** A tool call: a `function_call` item, or the client tool's own item when `part.client` says so. */
  | { type: "function_call"; id: string; part: ToolCallPart; status: ItemStatus; input?: string }
  /** A search the backend ran itself. */
  | { type: "web_search_call"; id: string; part: WebSearchCallPart }
  /** An item the caller made, rendered as given (a compaction the proxy ran before the model). */
  | { type: "given"; id: string; json: JsonObject; status: "completed" };

/** Items given to lead the output, each as it is. */
export function givenItems(items: JsonObject[] | undefined): Array<Extract<OutputItem, { type: "given" }>> {
  return (items ?? []).map((json, i) => ({ type: "given", id: typeof json.id === "string" ? json.id : `given_${i}`, json, status: "completed" }));
}

export function renderOutputTextPart(part: TextPart, warnings?: TranslationWarning[], path = "output"): JsonObject {
  const annotations = toResponsesAnnotations(part.annotations, 0, part.text.length);
  if (annotations.dropped > 0) {
    warnings?.push({
      code: "content_dropped",
      path: `${path}.annotations`,
      message: `${annotations.dropped} annotation(s) with no Responses form were dropped`,
    });
  }
  return { type: "output_text", annotations: annotations.value, logprobs: [], text: part.text };
}

function renderReasoningSummary(part: ReasoningPart, rawAs: RawReasoningForm): string[] {
  if (part.summary) return part.summary;
  if (part.text === "" || (part.kind === "raw" && rawAs === "content")) return [];
  return [part.text];
}

export function renderOutputItem(item: OutputItem, warnings?: TranslationWarning[], path = "output"): JsonObject {
  switch (item.type) {
    case "reasoning": {
      const rawAs = item.rawAs ?? DEFAULT_RAW_REASONING_FORM;
      const out: JsonObject = {
        id: item.id,
        type: "reasoning",
        summary: renderReasoningSummary(item.part, rawAs).map((text) => ({ type: "summary_text", text })),
      };
      if (item.part.kind === "raw" && item.part.text !== "" && rawAs !== "summary") out["content"] = [{ type: "reasoning_text", text: item.part.text }];
      const encrypted = packReasoningOpaque(item.part);
      if (encrypted !== undefined) out["encrypted_content"] = encrypted;
      return out;
    }
    case "message":
      return {
        id: item.id,
        type: "message",
        status: item.status,
        content: item.parts.map((p, j) =>
          p.type === "text" ? renderOutputTextPart(p, warnings, `${path}.content[${j}]`) : { type: "refusal", refusal: p.text },
        ),
        role: "assistant",
      };
    case "function_call":
      return renderCallItem(item);
    case "web_search_call":
      return renderWebSearchCall(item.id, item.part);
    case "given":
      return item.json;
    default: {
      const never: never = item;
      return never;
    }
  }
}

function renderCallItem(item: Extract<OutputItem, { type: "function_call" }>): JsonObject {
  const { part } = item;
  const client = part.client;
  switch (client?.type) {
    case "custom":
      return {
        id: item.id,
        type: "custom_tool_call",
        status: item.status,
        call_id: part.id,
        name: part.name,
        input: item.input ?? customInputOf(part.arguments),
      };
    case "tool_search":
      return {
        id: item.id,
        type: "tool_search_call",
        status: item.status,
        call_id: part.id,
        execution: client.execution,
        arguments: toolSearchArgumentsOf(part.arguments),
      };
    case "namespaced":
      return {
        id: item.id,
        type: "function_call",
        status: item.status,
        arguments: part.arguments,
        call_id: part.id,
        name: client.name,
        namespace: client.namespace,
      };
    case undefined:
      return { id: item.id, type: "function_call", status: item.status, arguments: part.arguments, call_id: part.id, name: part.name };
    default: {
      const never: never = client;
      return never;
    }
  }
}

/** The id prefix of a tool call's output item. */
export function callItemPrefix(part: ToolCallPart): string {
  return part.client?.type === "custom" ? "ctc_" : part.client?.type === "tool_search" ? "tsc_" : "fc_";
}

/** The SDK's `output_text` convenience: every output_text part, concatenated. */
function outputText(items: readonly OutputItem[]): string {
  let text = "";
  for (const item of items) {
    if (item.type === "message") for (const p of item.parts) if (p.type === "text") text += p.text;
  }
  return text;
}

export interface ResponseObjectArgs {
  id: string;
  createdAt: number;
  /** Unix seconds when the answer completed; null while in progress and when it did not complete. */
  completedAt?: number | null;
  model: string;
  request: LlmRequest;
  previousResponseId?: string | null | undefined;
  status: "in_progress" | ResponsesOutcome["status"];
  incompleteDetails: JsonObject | null;
  error: JsonObject | null;
  items: readonly OutputItem[];
  usage: Usage | undefined;
  serviceTier?: string | undefined;
  warnings?: TranslationWarning[];
}

/** A full Response object with the request's settings echoed the way OpenAI echoes them. */
export function buildResponseObject(args: ResponseObjectArgs): JsonObject {
  const req = args.request;
  const pass = req.passthrough?.responses ?? {};
  const echo = (key: string, fallback: unknown): unknown => (pass[key] !== undefined ? pass[key] : fallback);
  const text: JsonObject = {
    format: encodeResponsesTextFormat(req.responseFormat ?? { type: "text" }),
    verbosity: req.verbosity ?? "medium",
  };
  const response: JsonObject = {
    id: args.id,
    object: "response",
    created_at: args.createdAt,
    completed_at: args.status === "completed" ? (args.completedAt ?? null) : null,
    status: args.status,
    background: echo("background", false),
    error: args.error,
    incomplete_details: args.incompleteDetails,
    instructions: echo("instructions", null),
    max_output_tokens: req.maxOutputTokens ?? null,
    max_tool_calls: req.maxToolCalls ?? null,
    model: args.model,
    output: args.items.map((item, k) => renderOutputItem(item, args.warnings, `output[${k}]`)),
    parallel_tool_calls: req.parallelToolCalls ?? true,
    previous_response_id: args.previousResponseId ?? echo("previous_response_id", null),
    prompt_cache_key: req.promptCacheKey ?? null,
    prompt_cache_retention: echo("prompt_cache_retention", null),
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? null },
    safety_identifier: req.safetyIdentifier ?? null,
    service_tier: args.serviceTier ?? req.serviceTier ?? "default",
    store: echo("store", true),
    temperature: req.temperature ?? 1,
    presence_penalty: req.presencePenalty ?? 0,
    frequency_penalty: req.frequencyPenalty ?? 0,
    text,
    tool_choice: encodeResponsesToolChoice(req.toolChoice ?? { type: "auto" }, req.tools),
    // A web search is left out: whether the backend could run it is not known here.
    tools: encodeResponsesTools(req.tools ?? [], { echo: true }),
    top_logprobs: req.topLogprobs ?? 0,
    top_p: req.topP ?? 1,
    truncation: echo("truncation", "disabled"),
    usage: args.usage ? encodeResponsesUsage(args.usage) : null,
    user: req.user ?? null,
    metadata: req.metadata ?? {},
    output_text: outputText(args.items),
  };
  if (pass["conversation"] !== undefined) response["conversation"] = pass["conversation"];
  return response;
}
