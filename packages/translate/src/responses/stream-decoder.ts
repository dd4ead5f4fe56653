// A native Responses upstream stream -> hub events (one choice). Tool-call indices are counted per
// response; items that arrive only complete (no deltas) are replayed as one delta. Accepts the
// spec's flat `error` event and the nested shape the API has been seen sending. Never throws.

import type { SseFrame, StreamDecoder } from "../codec.js";
import type { StreamError, StreamEvent } from "../ir.js";
import { getArray, getNumber, getRecord, getString, isRecord, parseJson, type JsonObject } from "../shared/guards.js";
import { unpackReasoningOpaque } from "../shared/reasoning.js";
import { decodeResponsesUsage } from "./usage.js";
import { mapResponsesStatus } from "./finish-reason.js";

interface ItemState {
  type: string;
  /** Hub tool-call index (function_call items). */
  callIndex?: number;
  /** What was streamed so far, to fill in items that arrive only complete. */
  streamed: string;
  /** Last summary index seen (reasoning items), to separate summary parts. */
  summaryIndex?: number;
  /**
   * The reasoning kind this item streams first: the other kind's deltas are skipped (a proxy sends
   * a chat backend's reasoning as both, the same text twice).
   */
  reasoningKind?: "summary" | "raw";
  ended: boolean;
}

export function createResponsesStreamDecoder(): StreamDecoder {
  return new ResponsesStreamDecoder();
}

class ResponsesStreamDecoder implements StreamDecoder {
  private started = false;
  private done = false;
  private callCount = 0;
  private sawFunctionCall = false;
  private readonly items = new Map<string, ItemState>();
  private readonly byIndex = new Map<number, string>();

  private itemFor(data: JsonObject): ItemState | undefined {
    const itemId = getString(data, "item_id");
    if (itemId !== undefined && this.items.has(itemId)) return this.items.get(itemId);
    const index = getNumber(data, "output_index");
    const id = index !== undefined ? this.byIndex.get(index) : undefined;
    return id !== undefined ? this.items.get(id) : undefined;
  }

  private start(out: StreamEvent[], response: JsonObject | undefined): void {
    if (this.started) return;
    this.started = true;
    out.push({
      type: "start",
      id: (response && getString(response, "id")) ?? "",
      model: (response && getString(response, "model")) ?? "",
      created: (response && getNumber(response, "created_at")) ?? 0,
    });
  }

  private addItem(item: JsonObject, outputIndex: number | undefined, out: StreamEvent[]): ItemState {
    const type = getString(item, "type") ?? "";
    const id = getString(item, "id") ?? `item_${outputIndex ?? this.items.size}`;
    const state: ItemState = { type, streamed: "", ended: false };
    this.items.set(id, state);
    if (outputIndex !== undefined) this.byIndex.set(outputIndex, id);
    if (type === "function_call") {
      this.sawFunctionCall = true;
      state.callIndex = this.callCount++;
      out.push({
        type: "tool_call_start",
        choice: 0,
        index: state.callIndex,
        id: getString(item, "call_id") ?? id,
        name: getString(item, "name") ?? "",
        itemId: id,
      });
      const args = getString(item, "arguments") ?? "";
      if (args !== "") {
        state.streamed = args;
        out.push({ type: "tool_call_delta", choice: 0, index: state.callIndex, argumentsDelta: args });
      }
    }
    return state;
  }

  private itemDone(item: JsonObject, outputIndex: number | undefined, out: StreamEvent[]): void {
    const id = getString(item, "id");
    const state = (id !== undefined ? this.items.get(id) : undefined) ?? this.addItem(item, outputIndex, out);
    if (state.ended) return;
    state.ended = true;
    switch (state.type) {
      case "function_call": {
        const args = getString(item, "arguments") ?? "";
        const index = state.callIndex ?? 0;
        if (state.streamed === "" && args !== "") out.push({ type: "tool_call_delta", choice: 0, index, argumentsDelta: args });
        out.push({ type: "tool_call_end", choice: 0, index });
        return;
      }
      case "reasoning": {
        if (state.streamed === "") {
          const texts = (key: string): string[] =>
            (getArray(item, key) ?? []).flatMap((p) => (isRecord(p) && typeof p["text"] === "string" ? [p["text"]] : []));
          const raw = texts("content").join("");
          const summary = texts("summary").join("\n\n");
          if (raw !== "") out.push({ type: "reasoning_delta", choice: 0, delta: raw, kind: "raw" });
          else if (summary !== "") out.push({ type: "reasoning_delta", choice: 0, delta: summary, kind: "summary" });
        }
        const encrypted = getString(item, "encrypted_content");
        if (encrypted) {
          const opaque = unpackReasoningOpaque(encrypted);
          if ("encryptedContent" in opaque) {
            out.push(
              id !== undefined
                ? { type: "reasoning_encrypted", choice: 0, encryptedContent: opaque.encryptedContent, id }
                : { type: "reasoning_encrypted", choice: 0, encryptedContent: opaque.encryptedContent },
            );
          } else {
            if (opaque.signature !== undefined) out.push({ type: "reasoning_signature", choice: 0, signature: opaque.signature });
            if (opaque.redactedData !== undefined) out.push({ type: "reasoning_redacted", choice: 0, data: opaque.redactedData });
          }
        }
        out.push({ type: "reasoning_end", choice: 0 });
        return;
      }
      case "message": {
        if (state.streamed !== "") return;
        for (const part of getArray(item, "content") ?? []) {
          if (!isRecord(part)) continue;
          if (part["type"] === "output_text" && typeof part["text"] === "string") {
            const annotations = getArray(part, "annotations");
            out.push(
              annotations && annotations.length > 0
                ? { type: "text_delta", choice: 0, delta: part["text"], annotations }
                : { type: "text_delta", choice: 0, delta: part["text"] },
            );
          } else if (part["type"] === "refusal" && typeof part["refusal"] === "string") {
            out.push({ type: "refusal_delta", choice: 0, delta: part["refusal"] });
          }
        }
        return;
      }
      default:
        return; // hosted-tool items have no hub equivalent
    }
  }

  private fail(error: StreamError): StreamEvent[] {
    this.done = true;
    return [{ type: "error", error }];
  }

  private terminal(type: string, response: JsonObject | undefined, out: StreamEvent[]): void {
    this.done = true;
    // Items the upstream never marked done are complete now.
    for (const item of this.items.values()) {
      if (item.ended) continue;
      item.ended = true;
      if (item.type === "function_call") out.push({ type: "tool_call_end", choice: 0, index: item.callIndex ?? 0 });
      else if (item.type === "reasoning") out.push({ type: "reasoning_end", choice: 0 });
    }
    const status = type.slice("response.".length);
    const incomplete = response ? getRecord(response, "incomplete_details") : undefined;
    const hasCall = this.sawFunctionCall || (getArray(response ?? {}, "output") ?? []).some((o) => isRecord(o) && o["type"] === "function_call");
    const { reason, raw } = mapResponsesStatus(status, incomplete ? getString(incomplete, "reason") : undefined, hasCall);
    out.push(raw !== undefined ? { type: "finish", choice: 0, reason, raw } : { type: "finish", choice: 0, reason });
    const usage = response ? decodeResponsesUsage(response["usage"]) : undefined;
    if (usage) out.push({ type: "usage", usage });
    out.push({ type: "end" });
  }

  /** The text, refusal, reasoning and arguments `.delta` events. */
  private onDelta(type: string, data: JsonObject, out: StreamEvent[]): void {
    const delta = getString(data, "delta") ?? "";
    const state = this.itemFor(data);
    if (delta === "") return;
    const reasoningKind = type === "response.reasoning_text.delta" ? "raw" : type === "response.reasoning_summary_text.delta" ? "summary" : undefined;
    if (state && reasoningKind) {
      state.reasoningKind ??= reasoningKind;
      if (state.reasoningKind !== reasoningKind) return;
    }
    if (state) state.streamed += delta;
    if (type === "response.output_text.delta") out.push({ type: "text_delta", choice: 0, delta });
    else if (type === "response.refusal.delta") out.push({ type: "refusal_delta", choice: 0, delta });
    else if (type === "response.reasoning_text.delta") out.push({ type: "reasoning_delta", choice: 0, delta, kind: "raw" });
    else if (type === "response.reasoning_summary_text.delta") {
      // Summary parts after the first are separated the way the joined summary text is.
      const index = getNumber(data, "summary_index") ?? 0;
      if (state && state.summaryIndex !== undefined && index !== state.summaryIndex) {
        out.push({ type: "reasoning_delta", choice: 0, delta: "\n\n", kind: "summary" });
      }
      if (state) state.summaryIndex = index;
      out.push({ type: "reasoning_delta", choice: 0, delta, kind: "summary" });
    } else if (state?.callIndex !== undefined) {
      out.push({ type: "tool_call_delta", choice: 0, index: state.callIndex, argumentsDelta: delta });
    }
  }

  push(frame: SseFrame): StreamEvent[] {
    if (this.done) return [];
    const text = frame.data.trim();
    if (text === "") return [];
    if (text === "[DONE]") return this.fail(endedEarly());
    const parsed = parseJson(text);
    if (!parsed.ok || !isRecord(parsed.value)) {
      return this.fail({ type: "invalid_response", message: `upstream sent a malformed stream event: ${text.slice(0, 200)}` });
    }
    const data = parsed.value;
    const type = getString(data, "type") ?? frame.event ?? "";
    const out: StreamEvent[] = [];
    const response = getRecord(data, "response");
    if (type === "error") return this.fail(decodeErrorEvent(data));
    if (type === "response.failed") {
      const error = response ? getRecord(response, "error") : undefined;
      return this.fail({
        type: (error && getString(error, "code")) ?? "server_error",
        code: (error && getString(error, "code")) ?? null,
        message: (error && getString(error, "message")) ?? "The upstream response failed.",
      });
    }
    if (type.startsWith("response.")) this.start(out, response);
    this.dispatch(type, data, response, out);
    return out;
  }

  private dispatch(type: string, data: JsonObject, response: JsonObject | undefined, out: StreamEvent[]): void {
    const item = getRecord(data, "item");
    const outputIndex = getNumber(data, "output_index");
    switch (type) {
      case "response.output_item.added":
        if (item) this.addItem(item, outputIndex, out);
        break;
      case "response.output_item.done":
        if (item) this.itemDone(item, outputIndex, out);
        break;
      case "response.output_text.delta":
      case "response.refusal.delta":
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_text.delta":
      case "response.function_call_arguments.delta":
        this.onDelta(type, data, out);
        break;
      case "response.function_call_arguments.done": {
        const state = this.itemFor(data);
        const args = getString(data, "arguments") ?? "";
        if (state?.callIndex !== undefined && state.streamed === "" && args !== "") {
          state.streamed = args;
          out.push({ type: "tool_call_delta", choice: 0, index: state.callIndex, argumentsDelta: args });
        }
        break;
      }
      case "response.output_text.annotation.added": {
        const annotation = data["annotation"];
        if (annotation !== undefined) out.push({ type: "text_delta", choice: 0, delta: "", annotations: [annotation] });
        break;
      }
      case "response.completed":
      case "response.incomplete":
        this.terminal(type, response, out);
        break;
      default:
        break; // created/in_progress (handled by start), part events, keepalive, hosted-tool events
    }
  }

  end(): StreamEvent[] {
    if (this.done) return [];
    this.done = true;
    return [{ type: "error", error: endedEarly() }];
  }
}

function endedEarly(): StreamError {
  return { type: "server_error", code: "stream_ended_early", message: "upstream stream ended early" };
}

/** `error` events: the spec's flat `{code, message, param}` or the observed nested `{error: {...}}`. */
function decodeErrorEvent(data: JsonObject): StreamError {
  const nested = getRecord(data, "error");
  const source = nested ?? data;
  const code = getString(source, "code") ?? null;
  const out: StreamError = {
    type: (nested && getString(nested, "type")) ?? code ?? "server_error",
    code,
    message: getString(source, "message") ?? "upstream stream error",
  };
  return out;
}
