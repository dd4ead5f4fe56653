// Test helper: checks a Responses SSE stream against the ordering rules of docs/protocol.md §1.6 (the checks
// openai-node's accumulator makes, and a few more) and rebuilds the output from the deltas.

import { sseEvents } from "./sse-replay.js";

type Json = Record<string, unknown>;

interface PartState {
  type: string;
  text: string;
  open: boolean;
}

interface ItemState {
  id: string;
  type: string;
  name?: string;
  args: string;
  parts: PartState[];
  summaries: PartState[];
  done: boolean;
  final?: Json;
}

export interface GrammarResult {
  violations: string[];
  types: string[];
  terminal: Json | undefined;
  terminalType: string | undefined;
  /** Items rebuilt from the stream's deltas, in output order. */
  items: ItemState[];
}

/** Every field the Open Responses spec requires of a Response object (nullable ones as null). */
const REQUIRED_RESPONSE_FIELDS = [
  "id",
  "object",
  "created_at",
  "completed_at",
  "status",
  "incomplete_details",
  "model",
  "previous_response_id",
  "instructions",
  "output",
  "error",
  "tools",
  "tool_choice",
  "truncation",
  "parallel_tool_calls",
  "text",
  "top_p",
  "presence_penalty",
  "frequency_penalty",
  "top_logprobs",
  "temperature",
  "reasoning",
  "user",
  "usage",
  "max_output_tokens",
  "max_tool_calls",
  "store",
  "background",
  "service_tier",
  "metadata",
  "safety_identifier",
  "prompt_cache_key",
] as const;

/** The spec's required fields a Response object lacks, and tools without a `description` key. */
function missingResponseFields(response: Json): string[] {
  const missing: string[] = REQUIRED_RESPONSE_FIELDS.filter((k) => !(k in response) || response[k] === undefined);
  const tools = Array.isArray(response["tools"]) ? (response["tools"] as Json[]) : [];
  tools.forEach((t, i) => {
    if ((t["type"] === "function" || t["type"] === "custom") && !("description" in t)) missing.push(`tools[${i}].description`);
  });
  return missing;
}

export function checkResponsesGrammar(sse: string): GrammarResult {
  const events = sseEvents(sse);
  const v: string[] = [];
  const items: ItemState[] = [];
  const byId = new Map<string, ItemState>();
  let terminal: Json | undefined;
  let terminalType: string | undefined;
  const types: string[] = [];

  const itemAt = (d: Json, type: string): ItemState | undefined => {
    const index = d["output_index"];
    const item = typeof index === "number" ? items[index] : undefined;
    if (!item) {
      v.push(`${type}: no item at output_index ${String(index)}`);
      return undefined;
    }
    if (d["item_id"] !== undefined && d["item_id"] !== item.id) v.push(`${type}: item_id ${String(d["item_id"])} != ${item.id}`);
    if (item.done) v.push(`${type}: item ${item.id} already done`);
    return item;
  };
  const partAt = (item: ItemState, d: Json, type: string, expected: string[]): PartState | undefined => {
    const part = item.parts[Number(d["content_index"])];
    if (!part || !expected.includes(part.type)) {
      v.push(`${type}: content_index ${String(d["content_index"])} of ${item.id} is not ${expected.join("/")}`);
      return undefined;
    }
    if (!part.open) v.push(`${type}: part ${String(d["content_index"])} of ${item.id} already closed`);
    return part;
  };
  const summaryAt = (item: ItemState, d: Json, type: string): PartState | undefined => {
    const part = item.summaries[Number(d["summary_index"])];
    if (!part) v.push(`${type}: no summary part ${String(d["summary_index"])} in ${item.id}`);
    else if (!part.open) v.push(`${type}: summary part of ${item.id} already closed`);
    return part;
  };

  events.forEach(({ event, data: d }, i) => {
    const type = String(d["type"]);
    types.push(type);
    if (event !== type) v.push(`event line '${String(event)}' != data.type '${type}'`);
    if (d["sequence_number"] !== i) v.push(`${type}: sequence_number ${String(d["sequence_number"])} != ${i}`);
    if (terminal) v.push(`${type} after the terminal event`);
    if (i === 0 && type !== "response.created") v.push(`first event is ${type}`);
    if (i === 1 && type !== "response.in_progress") v.push(`second event is ${type}`);
    if (type.startsWith("response.") && typeof d["response"] === "object" && d["response"] !== null) {
      for (const k of missingResponseFields(d["response"] as Json)) v.push(`${type}: response lacks ${k}`);
    }
    switch (type) {
      case "response.created":
      case "response.in_progress":
        if (i > 1) v.push(`${type} at position ${i}`);
        break;
      case "response.output_item.added": {
        const item = d["item"] as Json;
        if (d["output_index"] !== items.length) v.push(`output_item.added at ${String(d["output_index"])}, expected ${items.length}`);
        const id = String(item["id"]);
        if (byId.has(id)) v.push(`duplicate item id ${id}`);
        const state: ItemState = { id, type: String(item["type"]), args: "", parts: [], summaries: [], done: false };
        if (typeof item["name"] === "string") state.name = item["name"];
        items.push(state);
        byId.set(id, state);
        break;
      }
      case "response.content_part.added": {
        const item = itemAt(d, type);
        if (!item) break;
        if (d["content_index"] !== item.parts.length) v.push(`content_part.added index ${String(d["content_index"])} != ${item.parts.length}`);
        item.parts.push({ type: String((d["part"] as Json)["type"]), text: "", open: true });
        break;
      }
      case "response.output_text.delta":
      case "response.refusal.delta":
      case "response.reasoning_text.delta": {
        const item = itemAt(d, type);
        const expected = type === "response.output_text.delta" ? "output_text" : type === "response.refusal.delta" ? "refusal" : "reasoning_text";
        const part = item && partAt(item, d, type, [expected]);
        if (part) part.text += String(d["delta"]);
        break;
      }
      case "response.output_text.done":
      case "response.reasoning_text.done":
      case "response.refusal.done": {
        const item = itemAt(d, type);
        const expected = type === "response.output_text.done" ? "output_text" : type === "response.refusal.done" ? "refusal" : "reasoning_text";
        const part = item && partAt(item, d, type, [expected]);
        const full = type === "response.refusal.done" ? d["refusal"] : d["text"];
        if (part && full !== part.text) v.push(`${type}: '${String(full)}' != deltas '${part.text}'`);
        break;
      }
      case "response.content_part.done": {
        const item = itemAt(d, type);
        const part = item && partAt(item, d, type, ["output_text", "refusal", "reasoning_text"]);
        if (part) {
          const p = d["part"] as Json;
          const full = part.type === "refusal" ? p["refusal"] : p["text"];
          if (full !== part.text) v.push(`${type}: part text '${String(full)}' != '${part.text}'`);
          part.open = false;
        }
        break;
      }
      case "response.output_text.annotation.added": {
        const item = itemAt(d, type);
        if (item) partAt(item, d, type, ["output_text"]);
        break;
      }
      case "response.custom_tool_call_input.delta": {
        const item = itemAt(d, type);
        if (item && item.type !== "custom_tool_call") v.push(`${type} on ${item.type}`);
        if (item) item.args += String(d["delta"]);
        break;
      }
      case "response.custom_tool_call_input.done": {
        const item = itemAt(d, type);
        if (item && d["input"] !== item.args) v.push(`${type}: input '${String(d["input"])}' != deltas '${item.args}'`);
        break;
      }
      case "response.web_search_call.in_progress":
      case "response.web_search_call.searching":
      case "response.web_search_call.completed": {
        const item = itemAt(d, type);
        if (item && item.type !== "web_search_call") v.push(`${type} on ${item.type}`);
        break;
      }
      case "response.function_call_arguments.delta": {
        const item = itemAt(d, type);
        if (item && item.type !== "function_call") v.push(`${type} on ${item.type}`);
        if (item) item.args += String(d["delta"]);
        break;
      }
      case "response.function_call_arguments.done": {
        const item = itemAt(d, type);
        if (item && d["arguments"] !== item.args) v.push(`${type}: arguments '${String(d["arguments"])}' != deltas '${item.args}'`);
        if (item && d["name"] !== item.name) v.push(`${type}: name ${String(d["name"])} != ${String(item.name)}`);
        break;
      }
      case "response.reasoning_summary_part.added": {
        const item = itemAt(d, type);
        if (!item) break;
        if (item.type !== "reasoning") v.push(`${type} on ${item.type}`);
        if (d["summary_index"] !== item.summaries.length) v.push(`${type}: summary_index ${String(d["summary_index"])}`);
        item.summaries.push({ type: "summary_text", text: "", open: true });
        break;
      }
      case "response.reasoning_summary_text.delta": {
        const item = itemAt(d, type);
        const part = item && summaryAt(item, d, type);
        if (part) part.text += String(d["delta"]);
        break;
      }
      case "response.reasoning_summary_text.done": {
        const item = itemAt(d, type);
        const part = item && summaryAt(item, d, type);
        if (part && d["text"] !== part.text) v.push(`${type}: text != deltas`);
        break;
      }
      case "response.reasoning_summary_part.done": {
        const item = itemAt(d, type);
        const part = item && summaryAt(item, d, type);
        if (part) {
          if ((d["part"] as Json)["text"] !== part.text) v.push(`${type}: text != deltas`);
          part.open = false;
        }
        break;
      }
      case "response.output_item.done": {
        const item = itemAt(d, type);
        if (!item) break;
        const final = d["item"] as Json;
        if (final["id"] !== item.id) v.push(`output_item.done id ${String(final["id"])} != ${item.id}`);
        if (item.parts.some((p) => p.open) || item.summaries.some((p) => p.open)) v.push(`item ${item.id} done with open parts`);
        checkFinalItem(item, final, v);
        item.done = true;
        item.final = final;
        break;
      }
      case "error":
        if (typeof d["message"] !== "string") v.push("error event without message");
        if (!("code" in d) || !("param" in d)) v.push("error event without code/param");
        break;
      case "response.completed":
      case "response.incomplete":
      case "response.failed": {
        terminal = d["response"] as Json;
        terminalType = type;
        const expectedStatus = type.slice("response.".length);
        if (terminal["status"] !== expectedStatus) v.push(`${type} with status ${String(terminal["status"])}`);
        if (type === "response.failed" && events[i - 1]?.data["type"] !== "error") v.push("response.failed not preceded by error");
        const output = terminal["output"] as Json[];
        if (output.length !== items.length) v.push(`final output has ${output.length} items, stream had ${items.length}`);
        output.forEach((o, k) => {
          const item = items[k];
          if (!item) return;
          if (o["id"] !== item.id) v.push(`final output[${k}].id ${String(o["id"])} != ${item.id}`);
          if (type !== "response.failed") {
            if (!item.done) v.push(`item ${item.id} never done before ${type}`);
            checkFinalItem(item, o, v);
          }
        });
        break;
      }
      default:
        v.push(`unknown event type ${type}`);
    }
  });
  if (!terminal) v.push("no terminal event");
  return { violations: v, types, terminal, terminalType, items };
}

/** The item in a done event / final output must hold exactly what the deltas built. */
function checkFinalItem(item: ItemState, final: Json, v: string[]): void {
  if (item.type === "function_call") {
    if (final["arguments"] !== item.args) v.push(`item ${item.id}: arguments '${String(final["arguments"])}' != '${item.args}'`);
  } else if (item.type === "custom_tool_call") {
    if (final["input"] !== item.args) v.push(`item ${item.id}: input '${String(final["input"])}' != '${item.args}'`);
  } else if (item.type === "tool_search_call") {
    if (typeof final["arguments"] !== "object" || final["arguments"] === null) v.push(`item ${item.id}: arguments are not an object`);
  } else if (item.type === "message") {
    const content = final["content"] as Json[];
    item.parts.forEach((p, k) => {
      const c = content[k];
      const text = c ? (p.type === "refusal" ? c["refusal"] : c["text"]) : undefined;
      if (text !== p.text) v.push(`item ${item.id} content[${k}] '${String(text)}' != '${p.text}'`);
    });
    if (content.length !== item.parts.length) v.push(`item ${item.id}: ${content.length} parts != ${item.parts.length}`);
  } else if (item.type === "reasoning") {
    const summary = (final["summary"] as Json[]).map((s) => s["text"]);
    const streamed = item.summaries.map((s) => s.text);
    if (JSON.stringify(summary) !== JSON.stringify(streamed)) v.push(`item ${item.id}: summary ${JSON.stringify(summary)} != ${JSON.stringify(streamed)}`);
    const raw = ((final["content"] as Json[] | undefined) ?? []).map((c) => c["text"]);
    const streamedRaw = item.parts.map((p) => p.text);
    if (JSON.stringify(raw) !== JSON.stringify(streamedRaw)) v.push(`item ${item.id}: content ${JSON.stringify(raw)} != ${JSON.stringify(streamedRaw)}`);
  }
}
