// Hub stream events -> the Responses event grammar (docs/protocol.md §1.5–1.7) for a Responses client.
//
// Choice-aware: every choice has its own items and output indices, so with n > 1 items of different
// choices may be open at once; each closes when its choice finishes. Within a choice a new kind of
// content closes the previous item (text after reasoning closes the reasoning item, a tool call closes
// the message). Usage arrives after the finishes, so the single terminal event waits for `usage` or
// `end`; it repeats every item, rendered by the same code as the non-stream encoder.

import type { StreamEncoder } from "../codec.js";
import type { FinishReason, LlmRequest, ReasoningPart, StreamError, StreamEvent, TranslateContext, Usage } from "../ir.js";
import { toResponsesAnnotations } from "../shared/annotations.js";
import type { JsonObject } from "../shared/guards.js";
import { formatSseEvent } from "../shared/sse.js";
import { messageStatusFor, toResponsesOutcome } from "./finish-reason.js";
import { clientKindOf } from "./client-tools.js";
import { CustomInputStream } from "./custom-input-stream.js";
import { webSearchCallEvents, webSearchItemId } from "./web-search.js";
import { buildResponseObject, callItemPrefix, givenItems, renderOutputItem, type OutputItem, type ResponseObjectArgs } from "./response-object.js";
import {
  argumentsDeltaEvent,
  echoedFields,
  lifecycleEvent,
  textDeltaEvent,
  type CallItem,
  type CallSlot,
  type ChoiceState,
  type MessageItem,
  type MessageSlot,
  type RawReasoningForm,
  type ReasoningSlot,
  type Slot,
  callDeltaEvents,
  closeCallEvents,
  closeMessagePartEvents,
  closeReasoningPartEvents,
  reasoningDeltaEvent,
  reasoningPartAddedEvent,
  reasoningWire,
  refusalDeltaEvent,
} from "./stream-items.js";

export interface ResponsesStreamEncoderArgs {
  ctx: TranslateContext;
  request: LlmRequest;
  id?: string;
  /** The model name the client asked for. */
  model: string;
  previousResponseId?: string | null;
  /** Items the output starts with, as given, sent right after `response.in_progress`. */
  leadingItems?: JsonObject[];
  rawReasoning?: RawReasoningForm;
  /** Gets the final Response of the terminal event (completed, incomplete or failed). */
  onComplete?: (finalResponse: JsonObject) => void;
}

export function createResponsesStreamEncoder(args: ResponsesStreamEncoderArgs): StreamEncoder {
  return new ResponsesStreamEncoder(args);
}

class ResponsesStreamEncoder implements StreamEncoder {
  private readonly ctx: TranslateContext;
  private readonly id: string;
  private readonly createdAt: number;
  private readonly items: OutputItem[] = [];
  private readonly choices = new Map<number, ChoiceState>();
  private seq = 0;
  /** The JSON of the Response's fields echoed from the request, made once: every lifecycle event repeats them. */
  private echoed: Map<string, string | undefined> | undefined;
  private started = false;
  private closed = false;
  private usage: Usage | undefined;

  constructor(private readonly args: ResponsesStreamEncoderArgs) {
    this.ctx = args.ctx;
    this.id = args.id ?? args.ctx.newId("resp_");
    this.createdAt = args.ctx.now();
  }

  /** One function per stream, handed to the item helpers. */
  private readonly emit = (type: string, fields: JsonObject): string => formatSseEvent(type, { type, sequence_number: this.seq++, ...fields });

  /** A lifecycle event (`response.created`, `.completed`, …), the echoed fields serialized once. */
  private responseEvent(type: string, response: JsonObject): string {
    this.echoed ??= echoedFields(response);
    return lifecycleEvent(type, this.seq++, response, this.echoed);
  }

  private readonly argumentsDelta = (itemId: string, outputIndex: number, delta: string): string => argumentsDeltaEvent(this.seq++, itemId, outputIndex, delta);

  private response(status: ResponseObjectArgs["status"], extra: Partial<ResponseObjectArgs> = {}): JsonObject {
    return buildResponseObject({
      id: this.id,
      createdAt: this.createdAt,
      model: this.args.model,
      request: this.args.request,
      previousResponseId: this.args.previousResponseId,
      status,
      incompleteDetails: null,
      error: null,
      items: [],
      usage: undefined,
      ...extra,
    });
  }

  private ensureStarted(): string {
    if (this.started) return "";
    this.started = true;
    const initial = this.response("in_progress");
    let sse = this.responseEvent("response.created", initial) + this.responseEvent("response.in_progress", initial);
    for (const item of givenItems(this.args.leadingItems)) {
      const at = { output_index: this.items.push(item) - 1, item: item.json };
      sse += this.emit("response.output_item.added", at) + this.emit("response.output_item.done", at);
    }
    return sse;
  }

  private state(choice: number): ChoiceState {
    let s = this.choices.get(choice);
    if (!s) this.choices.set(choice, (s = { message: undefined, reasoning: undefined, calls: new Map(), finish: undefined }));
    return s;
  }

  private addItem<T extends OutputItem>(item: T, shell: JsonObject): { slot: Slot<T>; sse: string } {
    const outputIndex = this.items.length;
    this.items.push(item);
    return { slot: { item, outputIndex }, sse: this.emit("response.output_item.added", { output_index: outputIndex, item: shell }) };
  }

  // ── message items ──
  private closeMessagePart(slot: MessageSlot): string {
    return closeMessagePartEvents(this.emit, slot);
  }

  private closeMessage(s: ChoiceState, reason?: FinishReason): string {
    const slot = s.message;
    if (!slot) return "";
    s.message = undefined;
    slot.item.status = messageStatusFor(reason);
    return this.closeMessagePart(slot) + this.emit("response.output_item.done", { output_index: slot.outputIndex, item: renderOutputItem(slot.item) });
  }

  /** Opens (or continues) a part of the given kind in the choice's message item. */
  private messagePart(s: ChoiceState, kind: "text" | "refusal"): { sse: string; slot: MessageSlot } {
    let sse = this.closeReasoning(s);
    if (!s.message) {
      const item: MessageItem = { type: "message", id: this.ctx.newId("msg_"), parts: [], status: "in_progress" };
      const added = this.addItem(item, { id: item.id, type: "message", status: "in_progress", content: [], role: "assistant" });
      s.message = { ...added.slot, partOpen: false };
      sse += added.sse;
    }
    const slot = s.message;
    const last = slot.item.parts[slot.item.parts.length - 1];
    if (!slot.partOpen || last?.type !== kind) {
      sse += this.closeMessagePart(slot);
      slot.item.parts.push(kind === "text" ? { type: "text", text: "" } : { type: "refusal", text: "" });
      slot.partOpen = true;
      const part = kind === "text" ? { type: "output_text", annotations: [], logprobs: [], text: "" } : { type: "refusal", refusal: "" };
      sse += this.emit("response.content_part.added", {
        item_id: slot.item.id,
        output_index: slot.outputIndex,
        content_index: slot.item.parts.length - 1,
        part,
      });
    }
    return { sse, slot };
  }

  // ── reasoning items ──
  private closeReasoningPart(slot: ReasoningSlot): string {
    return closeReasoningPartEvents(this.emit, slot);
  }

  private closeReasoning(s: ChoiceState): string {
    const slot = s.reasoning;
    if (!slot) return "";
    s.reasoning = undefined;
    return this.closeReasoningPart(slot) + this.emit("response.output_item.done", { output_index: slot.outputIndex, item: renderOutputItem(slot.item) });
  }

  private openReasoning(s: ChoiceState, part: ReasoningPart): { sse: string; slot: ReasoningSlot } {
    const sse = this.closeMessage(s) + this.closeReasoning(s);
    const item: Extract<OutputItem, { type: "reasoning" }> = { type: "reasoning", id: this.ctx.newId("rs_"), part, rawAs: this.args.rawReasoning };
    const added = this.addItem(item, { ...renderOutputItem(item), summary: [] });
    const slot: ReasoningSlot = { ...added.slot, openPart: undefined };
    s.reasoning = slot;
    return { sse: sse + added.sse, slot };
  }

  /** The choice's open reasoning item, opened when missing. Text of another kind starts a new item. */
  private reasoningFor(s: ChoiceState, kind?: "summary" | "raw"): { sse: string; slot: ReasoningSlot } {
    const current = s.reasoning;
    if (current && (!kind || current.item.part.text === "" || current.item.part.kind === kind)) {
      if (kind && current.item.part.text === "") current.item.part.kind = kind;
      return { sse: "", slot: current };
    }
    return this.openReasoning(s, kind ? { type: "reasoning", text: "", kind } : { type: "reasoning", text: "" });
  }

  // ── function_call items ──
  private closeCall(call: CallSlot): string {
    return closeCallEvents(this.emit, call);
  }

  private closeChoice(s: ChoiceState, reason: FinishReason | undefined): string {
    let sse = this.closeReasoning(s) + this.closeMessage(s, reason);
    for (const call of s.calls.values()) sse += this.closeCall(call);
    return sse;
  }

  // ── terminal ──
  private allFinished(): boolean {
    return this.choices.size > 0 && [...this.choices.values()].every((s) => s.finish !== undefined);
  }

  private terminate(final: JsonObject, type: string): string {
    this.closed = true;
    const sse = this.responseEvent(type, final);
    this.args.onComplete?.(final);
    return sse;
  }

  private complete(): string {
    const outcome = toResponsesOutcome([...this.choices.values()].map((s) => s.finish ?? "other"));
    const final = this.response(outcome.status, {
      completedAt: this.ctx.now(),
      incompleteDetails: outcome.incompleteDetails,
      error: outcome.error,
      items: this.items,
      usage: this.usage,
    });
    if (outcome.status === "failed") {
      // A failed response is always announced by an `error` event first.
      const code = typeof outcome.error?.["code"] === "string" ? outcome.error["code"] : "server_error";
      return this.emit("error", { code, message: String(outcome.error?.["message"] ?? ""), param: null }) + this.terminate(final, "response.failed");
    }
    return this.terminate(final, outcome.status === "completed" ? "response.completed" : "response.incomplete");
  }

  private fail(error: StreamError): string {
    let sse = this.ensureStarted();
    for (const item of this.items) if ("status" in item && item.status === "in_progress") item.status = "incomplete";
    // A custom tool's input cut short is what was streamed of it, not the broken arguments.
    for (const s of this.choices.values()) for (const call of s.calls.values()) if (call.open && call.customInput) call.item.input = call.customInput.result();
    const code = error.code ?? error.type;
    sse += this.emit("error", { code, message: error.message, param: null });
    const final = this.response("failed", { error: { code, message: error.message }, items: this.items, usage: this.usage });
    return sse + this.terminate(final, "response.failed");
  }

  private finishStream(): string {
    if (this.closed) return "";
    if (this.allFinished()) return this.ensureStarted() + this.complete();
    return this.fail({ type: "server_error", code: "server_error", message: "The upstream stream ended before the response was complete." });
  }

  private onTextDelta(event: Extract<StreamEvent, { type: "text_delta" }>): string {
    const s = this.state(event.choice);
    if (s.finish || (event.delta === "" && !event.annotations?.length)) return "";
    const { sse, slot } = this.messagePart(s, "text");
    const contentIndex = slot.item.parts.length - 1;
    const part = slot.item.parts[contentIndex];
    if (!part || part.type !== "text") return sse;
    let out = sse;
    const at = { item_id: slot.item.id, output_index: slot.outputIndex, content_index: contentIndex };
    if (event.delta !== "") {
      part.text += event.delta;
      out += textDeltaEvent(this.seq++, slot.item.id, slot.outputIndex, contentIndex, event.delta);
    }
    const span = event.annotated;
    const annotations = toResponsesAnnotations(event.annotations, span === undefined ? 0 : Math.max(0, part.text.length - span), span).value;
    for (const annotation of annotations) {
      part.annotations = [...(part.annotations ?? []), annotation];
      out += this.emit("response.output_text.annotation.added", { ...at, annotation_index: part.annotations.length - 1, annotation });
    }
    return out;
  }

  private onReasoningDelta(event: Extract<StreamEvent, { type: "reasoning_delta" }>): string {
    const s = this.state(event.choice);
    if (s.finish || event.delta === "") return "";
    const kind = event.kind ?? "summary";
    let out = this.closeMessage(s);
    const { sse, slot } = this.reasoningFor(s, kind);
    out += sse;
    const wire = reasoningWire(kind, this.args.rawReasoning);
    if (slot.openPart !== wire) {
      out += this.closeReasoningPart(slot);
      slot.openPart = wire;
      out += reasoningPartAddedEvent(this.emit, slot, wire);
    }
    slot.item.part.text += event.delta;
    return out + reasoningDeltaEvent(this.emit, slot, wire, event.delta);
  }

  private onToolCallStart(event: Extract<StreamEvent, { type: "tool_call_start" }>): string {
    const s = this.state(event.choice);
    if (s.finish) return "";
    let out = this.closeReasoning(s) + this.closeMessage(s);
    const previous = s.calls.get(event.index);
    if (previous) out += this.closeCall(previous);
    const part: CallItem["part"] = { type: "tool_call", id: event.id, name: event.name, arguments: "" };
    const client = clientKindOf(this.args.request, part);
    if (client) part.client = client;
    const item: CallItem = { type: "function_call", id: event.itemId ?? this.ctx.newId(callItemPrefix(part)), part, status: "in_progress" };
    if (event.itemId !== undefined) item.part.itemId = event.itemId;
    const added = this.addItem(item, renderOutputItem(item));
    const slot: CallSlot = { ...added.slot, open: true };
    if (client?.type === "custom") slot.customInput = new CustomInputStream();
    s.calls.set(event.index, slot);
    return out + added.sse;
  }

  private handle(event: StreamEvent): string {
    switch (event.type) {
      case "start":
        return "";
      case "text_delta":
        return this.onTextDelta(event);
      case "refusal_delta": {
        const s = this.state(event.choice);
        if (s.finish || event.delta === "") return "";
        const { sse, slot } = this.messagePart(s, "refusal");
        return sse + refusalDeltaEvent(this.emit, slot, event.delta);
      }
      case "reasoning_delta":
        return this.onReasoningDelta(event);
      case "reasoning_encrypted":
      case "reasoning_signature": {
        const s = this.state(event.choice);
        if (s.finish) return "";
        const { sse, slot } = this.reasoningFor(s);
        if (event.type === "reasoning_encrypted") slot.item.part.encryptedContent = event.encryptedContent;
        else slot.item.part.signature = (slot.item.part.signature ?? "") + event.signature;
        return sse;
      }
      case "reasoning_redacted": {
        const s = this.state(event.choice);
        if (s.finish) return "";
        // Redacted thinking is its own block: its own reasoning item, closed right away.
        return this.openReasoning(s, { type: "reasoning", text: "", redactedData: event.data }).sse + this.closeReasoning(s);
      }
      case "reasoning_end": {
        const s = this.choices.get(event.choice);
        return s && !s.finish ? this.closeReasoning(s) : "";
      }
      case "tool_call_start":
        return this.onToolCallStart(event);
      case "tool_call_delta": {
        const call = this.choices.get(event.choice)?.calls.get(event.index);
        if (!call || !call.open || event.argumentsDelta === "") return "";
        return callDeltaEvents(this.emit, call, event.argumentsDelta, this.argumentsDelta);
      }
      case "tool_call_end": {
        const call = this.choices.get(event.choice)?.calls.get(event.index);
        return call ? this.closeCall(call) : "";
      }
      case "audio_delta":
        return "";
      case "web_search_call": {
        const s = this.state(event.choice);
        if (s.finish) return "";
        const item: OutputItem = { type: "web_search_call", id: webSearchItemId(event.call), part: event.call };
        // The open items close first, so the search takes the next output index.
        return this.closeReasoning(s) + this.closeMessage(s) + webSearchCallEvents(this.emit, item.id, event.call, this.items.push(item) - 1);
      }
      case "finish": {
        const s = this.state(event.choice);
        if (s.finish) return "";
        const out = this.closeChoice(s, event.reason);
        s.finish = event.reason;
        return out;
      }
      case "usage":
        this.usage = event.usage;
        return this.allFinished() ? this.complete() : "";
      case "error":
        return this.fail(event.error);
      case "end":
        return this.finishStream();
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  push(event: StreamEvent): string {
    if (this.closed) return "";
    // Every event but a failure or the end first opens the response (created + in_progress).
    const pre = event.type === "error" || event.type === "end" ? "" : this.ensureStarted();
    return pre + this.handle(event);
  }

  end(): string {
    return this.finishStream();
  }
}
