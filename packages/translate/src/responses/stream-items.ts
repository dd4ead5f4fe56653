// The per-choice state of the Responses stream encoder and the events that open and close its
// content parts and items; pure, so the encoder keeps only the order of things.

import type { FinishReason } from "../ir.js";
import type { JsonObject } from "../shared/guards.js";
import type { CustomInputStream } from "./custom-input-stream.js";
import { renderOutputItem, renderOutputTextPart, type OutputItem, type RawReasoningForm, DEFAULT_RAW_REASONING_FORM } from "./response-object.js";

export type { RawReasoningForm };

/** Writes one event with the next sequence number. */
export type Emit = (type: string, fields: JsonObject) => string;

export type MessageItem = Extract<OutputItem, { type: "message" }>;
export type CallItem = Extract<OutputItem, { type: "function_call" }>;

export interface Slot<T extends OutputItem> {
  item: T;
  outputIndex: number;
}

/** The reasoning parts open on the wire: a summary part, a `reasoning_text` part, or both at once. */
export type ReasoningWire = "summary" | "raw" | "both";
const RAW_WIRE: Record<RawReasoningForm, ReasoningWire> = { content: "raw", summary: "summary", both: "both" };

/** The parts a reasoning delta of `kind` streams into. */
export function reasoningWire(kind: "summary" | "raw", rawAs: RawReasoningForm | undefined): ReasoningWire {
  return kind === "summary" ? "summary" : RAW_WIRE[rawAs ?? DEFAULT_RAW_REASONING_FORM];
}

export interface ReasoningSlot extends Slot<Extract<OutputItem, { type: "reasoning" }>> {
  /** The open summary part / reasoning_text part / both, if any. */
  openPart: ReasoningWire | undefined;
}

export interface MessageSlot extends Slot<MessageItem> {
  partOpen: boolean;
}

export type CallSlot = Slot<CallItem> & {
  open: boolean;
  /** A custom tool's input, read out of the arguments as they stream. */
  customInput?: CustomInputStream;
};

export interface ChoiceState {
  message: MessageSlot | undefined;
  reasoning: ReasoningSlot | undefined;
  calls: Map<number, CallSlot>;
  finish: FinishReason | undefined;
}

export function closeMessagePartEvents(emit: Emit, slot: MessageSlot): string {
  if (!slot.partOpen) return "";
  slot.partOpen = false;
  const contentIndex = slot.item.parts.length - 1;
  const part = slot.item.parts[contentIndex];
  if (!part) return "";
  const at = { item_id: slot.item.id, output_index: slot.outputIndex, content_index: contentIndex };
  if (part.type === "text") {
    return (
      emit("response.output_text.done", { ...at, text: part.text, logprobs: [] }) +
      emit("response.content_part.done", { ...at, part: renderOutputTextPart(part) })
    );
  }
  return (
    emit("response.refusal.done", { ...at, refusal: part.text }) + emit("response.content_part.done", { ...at, part: { type: "refusal", refusal: part.text } })
  );
}

const hasSummary = (wire: ReasoningWire): boolean => wire !== "raw";
const hasContent = (wire: ReasoningWire): boolean => wire !== "summary";

/** Adds a refusal delta to the message's open refusal part, and its event. */
export function refusalDeltaEvent(emit: Emit, slot: MessageSlot, delta: string): string {
  const contentIndex = slot.item.parts.length - 1;
  const part = slot.item.parts[contentIndex];
  if (!part) return "";
  part.text += delta;
  return emit("response.refusal.delta", { item_id: slot.item.id, output_index: slot.outputIndex, content_index: contentIndex, delta });
}

export function closeReasoningPartEvents(emit: Emit, slot: ReasoningSlot): string {
  const wire = slot.openPart;
  if (!wire) return "";
  slot.openPart = undefined;
  const text = slot.item.part.text;
  const at = { item_id: slot.item.id, output_index: slot.outputIndex };
  let sse = "";
  if (hasSummary(wire)) {
    sse +=
      emit("response.reasoning_summary_text.done", { ...at, summary_index: 0, text }) +
      emit("response.reasoning_summary_part.done", { ...at, summary_index: 0, part: { type: "summary_text", text } });
  }
  if (hasContent(wire)) {
    sse +=
      emit("response.reasoning_text.done", { ...at, content_index: 0, text }) +
      emit("response.content_part.done", { ...at, content_index: 0, part: { type: "reasoning_text", text } });
  }
  return sse;
}

export function reasoningPartAddedEvent(emit: Emit, slot: ReasoningSlot, wire: ReasoningWire): string {
  const at = { item_id: slot.item.id, output_index: slot.outputIndex };
  let sse = "";
  if (hasSummary(wire)) sse += emit("response.reasoning_summary_part.added", { ...at, summary_index: 0, part: { type: "summary_text", text: "" } });
  if (hasContent(wire)) sse += emit("response.content_part.added", { ...at, content_index: 0, part: { type: "reasoning_text", text: "" } });
  return sse;
}

export function reasoningDeltaEvent(emit: Emit, slot: ReasoningSlot, wire: ReasoningWire, delta: string): string {
  const at = { item_id: slot.item.id, output_index: slot.outputIndex };
  let sse = "";
  if (hasSummary(wire)) sse += emit("response.reasoning_summary_text.delta", { ...at, summary_index: 0, delta });
  if (hasContent(wire)) sse += emit("response.reasoning_text.delta", { ...at, content_index: 0, delta });
  return sse;
}

/** A tool call's closing events: arguments (or a custom tool's input) done, then the item done. */
export function closeCallEvents(emit: Emit, call: CallSlot): string {
  if (!call.open) return "";
  call.open = false;
  call.item.status = "completed";
  const part = call.item.part;
  const at = { item_id: call.item.id, output_index: call.outputIndex };
  let sse = "";
  if (call.customInput) {
    const input = call.customInput.result();
    call.item.input = input;
    // Input not streamed as it came (arguments of an unexpected shape) goes out as one delta.
    if (!call.customInput.streamed && input !== "") sse += emit("response.custom_tool_call_input.delta", { ...at, delta: input });
    sse += emit("response.custom_tool_call_input.done", { ...at, input });
  } else if (part.client?.type !== "tool_search") {
    const name = part.client?.type === "namespaced" ? part.client.name : part.name;
    sse += emit("response.function_call_arguments.done", { ...at, arguments: part.arguments, name });
  }
  return sse + emit("response.output_item.done", { output_index: call.outputIndex, item: renderOutputItem(call.item) });
}

/** A tool call's arguments delta: a custom tool's input streamed as such, a tool search's kept whole, others as arguments text. */
export function callDeltaEvents(
  emit: Emit,
  call: CallSlot,
  delta: string,
  argumentsDelta: (itemId: string, outputIndex: number, delta: string) => string,
): string {
  call.item.part.arguments += delta;
  if (call.customInput) {
    const input = call.customInput.push(delta);
    return input === "" ? "" : emit("response.custom_tool_call_input.delta", { item_id: call.item.id, output_index: call.outputIndex, delta: input });
  }
  // A tool search's arguments are an object in its item, not streamed text.
  if (call.item.part.client?.type === "tool_search") return "";
  return argumentsDelta(call.item.id, call.outputIndex, delta);
}

// The most frequent events and the lifecycle ones, written as text rather than built as objects and
// serialized whole: the bytes `Emit` would write.
export function textDeltaEvent(seq: number, itemId: string, outputIndex: number, contentIndex: number, delta: string): string {
  return `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${seq},"item_id":${JSON.stringify(itemId)},"output_index":${outputIndex},"content_index":${contentIndex},"delta":${JSON.stringify(delta)},"logprobs":[]}\n\n`;
}

export function argumentsDeltaEvent(seq: number, itemId: string, outputIndex: number, delta: string): string {
  return `event: response.function_call_arguments.delta\ndata: {"type":"response.function_call_arguments.delta","sequence_number":${seq},"item_id":${JSON.stringify(itemId)},"output_index":${outputIndex},"delta":${JSON.stringify(delta)}}\n\n`;
}

/** Fields of the Response that only echo the request, the largest of them (an agent's instructions and tools). */
const ECHOED_FIELDS = ["instructions", "tools"];

/** The JSON of a Response's echoed fields: every lifecycle event repeats them. */
export function echoedFields(response: JsonObject): Map<string, string | undefined> {
  return new Map(ECHOED_FIELDS.map((k) => [k, JSON.stringify(response[k])]));
}

/** A lifecycle event (`response.created`, `.completed`, …) with the text of the `echoed` fields taken from there. */
export function lifecycleEvent(type: string, seq: number, response: JsonObject, echoed: Map<string, string | undefined>): string {
  let out = "";
  for (const key of Object.keys(response)) {
    const text = echoed.has(key) ? echoed.get(key) : JSON.stringify(response[key]);
    if (text === undefined) continue;
    out += `${out ? "," : ""}${JSON.stringify(key)}:${text}`;
  }
  return `event: ${type}\ndata: {"type":${JSON.stringify(type)},"sequence_number":${seq},"response":{${out}}}\n\n`;
}
