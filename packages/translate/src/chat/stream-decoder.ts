// Upstream Chat Completions SSE -> hub stream events. Choice-aware (n > 1), tolerant of Azure's
// empty first chunk, chunks that carry content and finish_reason together, and the non-standard
// `reasoning_content` / `reasoning` deltas. Never throws: bad input becomes an `error` event.

import type { SseFrame, StreamDecoder } from "../codec.js";
import type { StreamError, StreamEvent, Usage } from "../ir.js";
import { getArray, getNumber, getRecord, getString, isRecord, parseJson, type JsonObject } from "../shared/guards.js";
import { decodeChatUsage } from "./usage.js";
import { mapChatFinishReason } from "./finish-reason.js";
import { reasoningDetailsText } from "../modules/reasoning-details.js";

interface ToolCallState {
  /** The call's position among this choice's calls (the hub index). */
  index: number;
  id: string;
  open: boolean;
}

interface ChoiceState {
  inReasoning: boolean;
  /** Keyed by the upstream `tool_calls[].index`. */
  calls: Map<number, ToolCallState>;
  callCount: number;
  finished: boolean;
}

export function createChatStreamDecoder(): StreamDecoder {
  return new ChatStreamDecoder();
}

class ChatStreamDecoder implements StreamDecoder {
  private started = false;
  private done = false;
  private sawDone = false;
  private pendingUsage: Usage | undefined;
  private readonly choices = new Map<number, ChoiceState>();

  private choiceState(index: number): ChoiceState {
    let state = this.choices.get(index);
    if (!state) {
      state = { inReasoning: false, calls: new Map(), callCount: 0, finished: false };
      this.choices.set(index, state);
    }
    return state;
  }

  private fail(error: StreamError): StreamEvent[] {
    this.done = true;
    return [{ type: "error", error }];
  }

  private endReasoning(choice: number, state: ChoiceState, out: StreamEvent[]): void {
    if (state.inReasoning) {
      state.inReasoning = false;
      out.push({ type: "reasoning_end", choice });
    }
  }

  private closeCalls(choice: number, state: ChoiceState, out: StreamEvent[]): void {
    for (const call of state.calls.values()) {
      if (call.open) {
        call.open = false;
        out.push({ type: "tool_call_end", choice, index: call.index });
      }
    }
  }

  private finishChoice(choice: number, state: ChoiceState, rawReason: string | undefined, out: StreamEvent[]): void {
    this.endReasoning(choice, state, out);
    this.closeCalls(choice, state, out);
    state.finished = true;
    let reason = mapChatFinishReason(rawReason);
    // Some compatible servers say `stop` after tool calls; the hub reason follows the content.
    if (reason === "stop" && state.callCount > 0) reason = "tool_calls";
    out.push(rawReason !== undefined ? { type: "finish", choice, reason, raw: rawReason } : { type: "finish", choice, reason });
  }

  private handleToolCalls(choice: number, state: ChoiceState, deltas: unknown[], out: StreamEvent[]): void {
    deltas.forEach((raw, position) => {
      if (!isRecord(raw)) return;
      const upstreamIndex = getNumber(raw, "index") ?? position;
      const fn = getRecord(raw, "function") ?? {};
      const id = getString(raw, "id");
      const name = getString(fn, "name");
      const args = getString(fn, "arguments") ?? "";
      let call = state.calls.get(upstreamIndex);
      // A new call: an unseen index, or an id different from the call at that index (some servers reuse index 0).
      if (!call || (id !== undefined && id !== "" && id !== call.id)) {
        this.closeCalls(choice, state, out); // calls stream one after another; the previous one is complete
        call = { index: state.callCount++, id: id || `call_${choice}_${upstreamIndex}`, open: true };
        state.calls.set(upstreamIndex, call);
        out.push({ type: "tool_call_start", choice, index: call.index, id: call.id, name: name ?? "" });
      }
      if (args !== "") out.push({ type: "tool_call_delta", choice, index: call.index, argumentsDelta: args });
    });
  }

  private handleChoice(raw: JsonObject, position: number, out: StreamEvent[]): void {
    const choice = getNumber(raw, "index") ?? position;
    const state = this.choiceState(choice);
    if (state.finished) return;
    const delta = getRecord(raw, "delta") ?? {};
    const reasoning = getString(delta, "reasoning_content") || getString(delta, "reasoning") || reasoningDetailsText(delta.reasoning_details);
    if (reasoning) {
      state.inReasoning = true;
      out.push({ type: "reasoning_delta", choice, delta: reasoning, kind: "raw" });
    }
    const content = getString(delta, "content");
    const annotations = getArray(delta, "annotations");
    if (content || (annotations && annotations.length > 0)) {
      this.endReasoning(choice, state, out);
      out.push(
        annotations && annotations.length > 0
          ? { type: "text_delta", choice, delta: content ?? "", annotations }
          : { type: "text_delta", choice, delta: content ?? "" },
      );
    }
    const refusal = getString(delta, "refusal");
    if (refusal) {
      this.endReasoning(choice, state, out);
      out.push({ type: "refusal_delta", choice, delta: refusal });
    }
    const toolCalls = getArray(delta, "tool_calls");
    if (toolCalls && toolCalls.length > 0) {
      this.endReasoning(choice, state, out);
      this.handleToolCalls(choice, state, toolCalls, out);
    }
    const audio = getRecord(delta, "audio");
    if (audio) {
      const event: Extract<StreamEvent, { type: "audio_delta" }> = { type: "audio_delta", choice };
      const id = getString(audio, "id");
      const data = getString(audio, "data");
      const transcript = getString(audio, "transcript");
      const expiresAt = getNumber(audio, "expires_at");
      if (id !== undefined) event.id = id;
      if (data !== undefined) event.data = data;
      if (transcript !== undefined) event.transcript = transcript;
      if (expiresAt !== undefined) event.expiresAt = expiresAt;
      out.push(event);
    }
    const finish = getString(raw, "finish_reason");
    if (finish) this.finishChoice(choice, state, finish, out);
  }

  private finishOpenChoices(out: StreamEvent[]): void {
    for (const [choice, state] of this.choices) if (!state.finished) this.finishChoice(choice, state, undefined, out);
  }

  private flushUsage(out: StreamEvent[]): void {
    if (this.pendingUsage) {
      out.push({ type: "usage", usage: this.pendingUsage });
      this.pendingUsage = undefined;
    }
  }

  push(frame: SseFrame): StreamEvent[] {
    if (this.done) return [];
    const data = frame.data.trim();
    if (data === "") return [];
    const out: StreamEvent[] = [];
    if (data === "[DONE]") {
      // A clean end: choices the upstream never finished end with reason `other` (unknown).
      this.done = true;
      this.sawDone = true;
      this.finishOpenChoices(out);
      this.flushUsage(out);
      out.push({ type: "end" });
      return out;
    }
    const parsed = parseJson(data);
    if (!parsed.ok || !isRecord(parsed.value)) {
      return this.fail({ type: "invalid_response", message: `upstream sent a malformed stream chunk: ${data.slice(0, 200)}` });
    }
    const chunk = parsed.value;
    const error = chunk["error"];
    if (error !== undefined && error !== null) return this.fail(decodeStreamError(error));

    const rawChoices = getArray(chunk, "choices") ?? [];
    const usage = decodeChatUsage(chunk["usage"]);
    if (!this.started && (rawChoices.length > 0 || usage)) {
      // Azure's first chunk has empty choices, id and model; the start comes from the first real chunk.
      this.started = true;
      out.push({
        type: "start",
        id: getString(chunk, "id") ?? "",
        model: getString(chunk, "model") ?? "",
        created: getNumber(chunk, "created") ?? 0,
      });
    }
    rawChoices.forEach((c, position) => {
      if (isRecord(c)) this.handleChoice(c, position, out);
    });
    if (usage) {
      this.pendingUsage = usage;
      // The include_usage chunk (no choices) is final; usage on every chunk (vLLM) is cumulative, so keep the last.
      if (rawChoices.length === 0) this.flushUsage(out);
    }
    return out;
  }

  end(): StreamEvent[] {
    if (this.done) return [];
    this.done = true;
    const finishedAll = this.choices.size > 0 && [...this.choices.values()].every((s) => s.finished);
    if (finishedAll && !this.sawDone) {
      // Some servers omit [DONE]; every choice finished, so the stream is complete.
      const out: StreamEvent[] = [];
      this.flushUsage(out);
      out.push({ type: "end" });
      return out;
    }
    return [{ type: "error", error: { type: "server_error", code: "stream_ended_early", message: "upstream stream ended early" } }];
  }
}

/** `data: {"error": {...}}` as OpenAI and compatible servers send it mid-stream. */
function decodeStreamError(error: unknown): StreamError {
  if (typeof error === "string") return { type: "server_error", message: error };
  if (!isRecord(error)) return { type: "server_error", message: "upstream stream error" };
  const code = error["code"];
  const out: StreamError = {
    type: getString(error, "type") ?? "server_error",
    message: getString(error, "message") ?? "upstream stream error",
  };
  if (typeof code === "string") out.code = code;
  else if (typeof code === "number") out.code = String(code);
  const status = getNumber(error, "status") ?? (typeof code === "number" ? code : undefined);
  if (status !== undefined && status >= 400 && status < 600) out.status = status;
  return out;
}
