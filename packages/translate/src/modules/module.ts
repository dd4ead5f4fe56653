// What a response module is: a step over a chat backend's answer in hub form, before it is encoded
// for the client — once per stream (events in, events out) and once per whole answer.

import type { LlmResponse, StreamEvent, TranslateContext, TranslationWarning } from "../ir.js";

/** One stream's state of one module. Events that end a choice or the stream flush what it holds. */
export interface StreamStep {
  push(event: StreamEvent): StreamEvent[];
}

export interface ResponseModule {
  /** The module's name in config (`parse_tags`, `swap_reasoning_content`). */
  readonly name: string;
  stream(ctx: TranslateContext, warnings: TranslationWarning[]): StreamStep;
  response(response: LlmResponse, ctx: TranslateContext, warnings: TranslationWarning[]): LlmResponse;
}
