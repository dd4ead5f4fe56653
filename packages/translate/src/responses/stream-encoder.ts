// Hub stream events -> the Responses event grammar (docs/protocol.md §1.5–1.7) for a Responses client.
//
// Choice-aware: every choice has its own items and output indices, so with n > 1 items of
// different choices may be open at once; each closes when its choice finishes. Within a choice a
// new kind of content closes the previous item (text after reasoning closes the reasoning item, a
// tool call closes the message). Usage arrives after the finishes, so the single terminal event
// waits for `usage` or `end`; it repeats every item, rendered by the same code as the non-stream
// encoder.

import type { StreamEncoder } from "../codec.js";
import type { FinishReason, LlmRequest, ReasoningPart, StreamError, StreamEvent, TranslateContext, Usage } from "../ir.js";
import { toResponsesAnnotations } from "../shared/annotations.js";
import type { JsonObject } from "../shared/guards.js";
import { formatSseEvent } from "../shared/sse.js";
import { messageStatusFor, toResponsesOutcome } from "./finish-reason.js";
import { buildResponseObject, renderOutputItem, type OutputItem, type ResponseObjectArgs } from "./response-object.js";
import {
  type CallItem,
  type CallSlot,
  type ChoiceState,
  type MessageItem,
  type MessageSlot,
  type ReasoningSlot,
  type Slot,
  closeCallEvents,
  closeMessagePartEvents,
  closeReasoningPartEvents,
  reasoningDeltaEvent,
  reasoningPartAddedEvent,
} from "./stream-items.js";

export interface ResponsesStreamEncoderArgs {
  ctx: TranslateContext;
  request: LlmRequest;
  id?: string;
  /** The model name the client asked for. */
  model: string;
  previousResponseId?: string | null;
  /** Gets the final Response of the terminal event (completed, incomplete or failed). */
  onComplete?: (finalResponse: JsonObject) => void;
}

export function createResponsesStreamEncoder(args: ResponsesStreamEncoderArgs): StreamEncoder {
  const { ctx, request } = args;
  const id = args.id ?? ctx.newId("resp_");
  const createdAt = ctx.now();
  const items: OutputItem[] = [];
  const choices = new Map<number, ChoiceState>();
  let seq = 0;
  let started = false;
  let closed = false;
  let usage: Usage | undefined;

  const emit = (type: string, fields: JsonObject): string => formatSseEvent(type, { type, sequence_number: seq++, ...fields });
  // The most frequent events, written as text rather than built as objects and serialized whole.
  const textDelta = (itemId: string, outputIndex: number, contentIndex: number, delta: string): string =>
    `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${seq++},"item_id":${JSON.stringify(itemId)},"output_index":${outputIndex},"content_index":${contentIndex},"delta":${JSON.stringify(delta)},"logprobs":[]}\n\n`;
  const argumentsDelta = (itemId: string, outputIndex: number, delta: string): string =>
    `event: response.function_call_arguments.delta\ndata: {"type":"response.function_call_arguments.delta","sequence_number":${seq++},"item_id":${JSON.stringify(itemId)},"output_index":${outputIndex},"delta":${JSON.stringify(delta)}}\n\n`;

  const response = (status: ResponseObjectArgs["status"], extra: Partial<ResponseObjectArgs> = {}): JsonObject =>
    buildResponseObject({
      id,
      createdAt,
      model: args.model,
      request,
      previousResponseId: args.previousResponseId,
      status,
      incompleteDetails: null,
      error: null,
      items: [],
      usage: undefined,
      ...extra,
    });

  const ensureStarted = (): string => {
    if (started) return "";
    started = true;
    const initial = response("in_progress");
    return emit("response.created", { response: initial }) + emit("response.in_progress", { response: initial });
  };

  const state = (choice: number): ChoiceState => {
    let s = choices.get(choice);
    if (!s) {
      s = { message: undefined, reasoning: undefined, calls: new Map(), finish: undefined };
      choices.set(choice, s);
    }
    return s;
  };

  const addItem = <T extends OutputItem>(item: T, shell: JsonObject): { slot: Slot<T>; sse: string } => {
    const outputIndex = items.length;
    items.push(item);
    return { slot: { item, outputIndex }, sse: emit("response.output_item.added", { output_index: outputIndex, item: shell }) };
  };

  // ── message items ──
  const closeMessagePart = (slot: MessageSlot): string => closeMessagePartEvents(emit, slot);

  const closeMessage = (s: ChoiceState, reason?: FinishReason): string => {
    const slot = s.message;
    if (!slot) return "";
    s.message = undefined;
    slot.item.status = messageStatusFor(reason);
    return closeMessagePart(slot) + emit("response.output_item.done", { output_index: slot.outputIndex, item: renderOutputItem(slot.item) });
  };

  /** Opens (or continues) a part of the given kind in the choice's message item. */
  const messagePart = (s: ChoiceState, kind: "text" | "refusal"): { sse: string; slot: MessageSlot } => {
    let sse = closeReasoning(s);
    if (!s.message) {
      const item: MessageItem = { type: "message", id: ctx.newId("msg_"), parts: [], status: "in_progress" };
      const added = addItem(item, { id: item.id, type: "message", status: "in_progress", content: [], role: "assistant" });
      s.message = { ...added.slot, partOpen: false };
      sse += added.sse;
    }
    const slot = s.message;
    const last = slot.item.parts[slot.item.parts.length - 1];
    if (!slot.partOpen || last?.type !== kind) {
      sse += closeMessagePart(slot);
      slot.item.parts.push(kind === "text" ? { type: "text", text: "" } : { type: "refusal", text: "" });
      slot.partOpen = true;
      const part = kind === "text" ? { type: "output_text", annotations: [], logprobs: [], text: "" } : { type: "refusal", refusal: "" };
      sse += emit("response.content_part.added", {
        item_id: slot.item.id,
        output_index: slot.outputIndex,
        content_index: slot.item.parts.length - 1,
        part,
      });
    }
    return { sse, slot };
  };

  // ── reasoning items ──
  const closeReasoningPart = (slot: ReasoningSlot): string => closeReasoningPartEvents(emit, slot);

  const closeReasoning = (s: ChoiceState): string => {
    const slot = s.reasoning;
    if (!slot) return "";
    s.reasoning = undefined;
    return closeReasoningPart(slot) + emit("response.output_item.done", { output_index: slot.outputIndex, item: renderOutputItem(slot.item) });
  };

  const openReasoning = (s: ChoiceState, part: ReasoningPart): { sse: string; slot: ReasoningSlot } => {
    const sse = closeMessage(s) + closeReasoning(s);
    const item: Extract<OutputItem, { type: "reasoning" }> = { type: "reasoning", id: ctx.newId("rs_"), part };
    const added = addItem(item, { ...renderOutputItem(item), summary: [] });
    const slot: ReasoningSlot = { ...added.slot, openPart: undefined };
    s.reasoning = slot;
    return { sse: sse + added.sse, slot };
  };

  /** The choice's open reasoning item, opened when missing. Text of another kind starts a new item. */
  const reasoningFor = (s: ChoiceState, kind?: "summary" | "raw"): { sse: string; slot: ReasoningSlot } => {
    const current = s.reasoning;
    if (current && (!kind || current.item.part.text === "" || current.item.part.kind === kind)) {
      if (kind && current.item.part.text === "") current.item.part.kind = kind;
      return { sse: "", slot: current };
    }
    return openReasoning(s, kind ? { type: "reasoning", text: "", kind } : { type: "reasoning", text: "" });
  };

  // ── function_call items ──
  const closeCall = (call: CallSlot): string => closeCallEvents(emit, call);

  const closeChoice = (s: ChoiceState, reason: FinishReason | undefined): string => {
    let sse = closeReasoning(s) + closeMessage(s, reason);
    for (const call of s.calls.values()) sse += closeCall(call);
    return sse;
  };

  // ── terminal ──
  const allFinished = (): boolean => choices.size > 0 && [...choices.values()].every((s) => s.finish !== undefined);

  const terminate = (final: JsonObject, type: string): string => {
    closed = true;
    const sse = emit(type, { response: final });
    args.onComplete?.(final);
    return sse;
  };

  const complete = (): string => {
    const outcome = toResponsesOutcome([...choices.values()].map((s) => s.finish ?? "other"));
    const final = response(outcome.status, {
      incompleteDetails: outcome.incompleteDetails,
      error: outcome.error,
      items,
      usage,
    });
    if (outcome.status === "failed") {
      // A failed response is always announced by an `error` event first.
      const code = typeof outcome.error?.["code"] === "string" ? outcome.error["code"] : "server_error";
      return emit("error", { code, message: String(outcome.error?.["message"] ?? ""), param: null }) + terminate(final, "response.failed");
    }
    return terminate(final, outcome.status === "completed" ? "response.completed" : "response.incomplete");
  };

  const fail = (error: StreamError): string => {
    let sse = ensureStarted();
    for (const item of items) if (item.type !== "reasoning" && item.status === "in_progress") item.status = "incomplete";
    const code = error.code ?? error.type;
    sse += emit("error", { code, message: error.message, param: null });
    const final = response("failed", { error: { code, message: error.message }, items, usage });
    return sse + terminate(final, "response.failed");
  };

  const finishStream = (): string => {
    if (closed) return "";
    if (!allFinished()) {
      return fail({ type: "server_error", code: "server_error", message: "The upstream stream ended before the response was complete." });
    }
    return ensureStarted() + complete();
  };

  const handle = (event: StreamEvent): string => {
    switch (event.type) {
      case "start":
        return "";
      case "text_delta": {
        const s = state(event.choice);
        if (s.finish || (event.delta === "" && !event.annotations?.length)) return "";
        const { sse, slot } = messagePart(s, "text");
        const contentIndex = slot.item.parts.length - 1;
        const part = slot.item.parts[contentIndex];
        if (!part || part.type !== "text") return sse;
        let out = sse;
        const at = { item_id: slot.item.id, output_index: slot.outputIndex, content_index: contentIndex };
        if (event.delta !== "") {
          part.text += event.delta;
          out += textDelta(slot.item.id, slot.outputIndex, contentIndex, event.delta);
        }
        const annotations = toResponsesAnnotations(event.annotations).value;
        for (const annotation of annotations) {
          part.annotations = [...(part.annotations ?? []), annotation];
          out += emit("response.output_text.annotation.added", { ...at, annotation_index: part.annotations.length - 1, annotation });
        }
        return out;
      }
      case "refusal_delta": {
        const s = state(event.choice);
        if (s.finish || event.delta === "") return "";
        const { sse, slot } = messagePart(s, "refusal");
        const contentIndex = slot.item.parts.length - 1;
        const part = slot.item.parts[contentIndex];
        if (!part) return sse;
        part.text += event.delta;
        return (
          sse +
          emit("response.refusal.delta", { item_id: slot.item.id, output_index: slot.outputIndex, content_index: contentIndex, delta: event.delta })
        );
      }
      case "reasoning_delta": {
        const s = state(event.choice);
        if (s.finish || event.delta === "") return "";
        const kind = event.kind ?? "summary";
        let out = closeMessage(s);
        const { sse, slot } = reasoningFor(s, kind);
        out += sse;
        if (slot.openPart !== kind) {
          out += closeReasoningPart(slot);
          slot.openPart = kind;
          out += reasoningPartAddedEvent(emit, slot, kind);
        }
        slot.item.part.text += event.delta;
        return out + reasoningDeltaEvent(emit, slot, kind, event.delta);
      }
      case "reasoning_encrypted":
      case "reasoning_signature": {
        const s = state(event.choice);
        if (s.finish) return "";
        const { sse, slot } = reasoningFor(s);
        if (event.type === "reasoning_encrypted") slot.item.part.encryptedContent = event.encryptedContent;
        else slot.item.part.signature = (slot.item.part.signature ?? "") + event.signature;
        return sse;
      }
      case "reasoning_redacted": {
        const s = state(event.choice);
        if (s.finish) return "";
        // Redacted thinking is its own block: its own reasoning item, closed right away.
        return openReasoning(s, { type: "reasoning", text: "", redactedData: event.data }).sse + closeReasoning(s);
      }
      case "reasoning_end": {
        const s = choices.get(event.choice);
        return s && !s.finish ? closeReasoning(s) : "";
      }
      case "tool_call_start": {
        const s = state(event.choice);
        if (s.finish) return "";
        let out = closeReasoning(s) + closeMessage(s);
        const previous = s.calls.get(event.index);
        if (previous) out += closeCall(previous);
        const item: CallItem = {
          type: "function_call",
          id: event.itemId ?? ctx.newId("fc_"),
          part: { type: "tool_call", id: event.id, name: event.name, arguments: "" },
          status: "in_progress",
        };
        if (event.itemId !== undefined) item.part.itemId = event.itemId;
        const added = addItem(item, renderOutputItem(item));
        s.calls.set(event.index, { ...added.slot, open: true });
        return out + added.sse;
      }
      case "tool_call_delta": {
        const call = choices.get(event.choice)?.calls.get(event.index);
        if (!call || !call.open || event.argumentsDelta === "") return "";
        call.item.part.arguments += event.argumentsDelta;
        return argumentsDelta(call.item.id, call.outputIndex, event.argumentsDelta);
      }
      case "tool_call_end": {
        const call = choices.get(event.choice)?.calls.get(event.index);
        return call ? closeCall(call) : "";
      }
      case "audio_delta":
        return "";
      case "finish": {
        const s = state(event.choice);
        if (s.finish) return "";
        const out = closeChoice(s, event.reason);
        s.finish = event.reason;
        return out;
      }
      case "usage":
        usage = event.usage;
        return allFinished() ? complete() : "";
      case "error":
        return fail(event.error);
      case "end":
        return finishStream();
      default: {
        const never: never = event;
        return never;
      }
    }
  };

  return {
    push(event: StreamEvent): string {
      if (closed) return "";
      // Every event but a failure or the end first opens the response (created + in_progress).
      const pre = event.type === "error" || event.type === "end" ? "" : ensureStarted();
      return pre + handle(event);
    },
    end(): string {
      return finishStream();
    },
  };
}
