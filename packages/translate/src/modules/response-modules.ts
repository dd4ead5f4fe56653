// Response modules run in order over a chat backend's answer in hub form: a stream decoder wrapped
// so its events pass through every module, or a whole decoded answer passed through each. The
// reasoning/text boundary (`reasoning_end`) is set again afterwards, since modules move text across it.

import type { StreamDecoder } from "../codec.js";
import type { LlmResponse, StreamEvent, TranslateContext, TranslationWarning } from "../ir.js";
import type { ResponseModule, StreamStep } from "./module.js";

/** Events after which a choice's reasoning is over. */
const AFTER_REASONING = new Set<StreamEvent["type"]>(["text_delta", "refusal_delta", "tool_call_start", "audio_delta", "finish"]);

/** `reasoning_end` exactly once after each run of a choice's reasoning, before what follows it. */
function reasoningBoundaries(): StreamStep {
  const open = new Set<number>();
  return {
    push(ev) {
      if (ev.type === "reasoning_end") return [];
      if (ev.type === "reasoning_delta") {
        open.add(ev.choice);
        return [ev];
      }
      if ("choice" in ev && AFTER_REASONING.has(ev.type) && open.delete(ev.choice)) return [{ type: "reasoning_end", choice: ev.choice }, ev];
      return [ev];
    },
  };
}

function run(steps: StreamStep[], events: StreamEvent[]): StreamEvent[] {
  let current = events;
  for (const step of steps) {
    if (current.length === 0) return current;
    const next: StreamEvent[] = [];
    for (const ev of current) {
      const out = step.push(ev);
      for (const e of out) next.push(e);
    }
    current = next;
  }
  return current;
}

/** The backend's stream decoder with every module applied to its events. */
export function withResponseModules(
  decoder: StreamDecoder,
  modules: readonly ResponseModule[],
  ctx: TranslateContext,
  warnings: TranslationWarning[],
): StreamDecoder {
  const steps = [...modules.map((m) => m.stream(ctx, warnings)), reasoningBoundaries()];
  return {
    push: (frame) => run(steps, decoder.push(frame)),
    end: () => run(steps, decoder.end()),
    // Held text (a partial tag, an open tool block) goes out as what it was before the error.
    broke: (error) => run(steps, decoder.broke ? decoder.broke(error) : [error]),
  };
}

/** A whole answer with every module applied. */
export function applyResponseModules(
  response: LlmResponse,
  modules: readonly ResponseModule[],
  ctx: TranslateContext,
  warnings: TranslationWarning[],
): LlmResponse {
  let out = response;
  for (const m of modules) out = m.response(out, ctx, warnings);
  return out;
}
