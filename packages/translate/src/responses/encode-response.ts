// Hub response -> a full Response object as OpenAI returns it. With n > 1 (an extension) every
// choice contributes its own items, in choice order.

import type { Choice, LlmRequest, LlmResponse, TranslateContext, Translated, TranslationWarning } from "../ir.js";
import type { JsonObject } from "../shared/guards.js";
import { messageStatusFor, toResponsesOutcome } from "./finish-reason.js";
import { clientKindOf } from "./client-tools.js";
import { buildResponseObject, callItemPrefix, givenItems, type OutputItem, type RawReasoningForm } from "./response-object.js";
import { webSearchItemId } from "./web-search.js";

export interface EncodeResponsesResponseArgs {
  response: LlmResponse;
  request: LlmRequest;
  ctx: TranslateContext;
  id?: string;
  /** The model name the client asked for (default: the request's). */
  model?: string;
  previousResponseId?: string | null;
  /** Items the output starts with, as given. */
  leadingItems?: JsonObject[];
  /** How raw reasoning goes out (default: both summary and content). */
  rawReasoning?: RawReasoningForm;
}

export function encodeResponsesResponse(args: EncodeResponsesResponseArgs): Translated<JsonObject> {
  const warnings: TranslationWarning[] = [];
  const { response, ctx } = args;
  const id = args.id ?? ctx.newId("resp_");
  const createdAt = ctx.now();
  const items: OutputItem[] = givenItems(args.leadingItems);
  response.choices.forEach((choice, i) => items.push(...choiceToOutputItems(choice, args, `choices[${i}]`, warnings)));
  const outcome = toResponsesOutcome(response.choices.map((c) => c.finishReason));
  const value = buildResponseObject({
    id,
    createdAt,
    completedAt: createdAt,
    model: args.model ?? args.request.model,
    request: args.request,
    previousResponseId: args.previousResponseId,
    status: outcome.status,
    incompleteDetails: outcome.incompleteDetails,
    error: outcome.error,
    items,
    usage: response.usage,
    serviceTier: response.serviceTier,
    warnings,
  });
  return { value, warnings };
}

/**
 * A choice's parts as output items, in order: each reasoning part is a `rs_` item, consecutive
 * text/refusal parts share one `msg_` item, each tool call is a `fc_` item (`ctc_`, `tsc_` for client tools).
 */
function choiceToOutputItems(choice: Choice, args: EncodeResponsesResponseArgs, path: string, warnings: TranslationWarning[]): OutputItem[] {
  const { request, ctx } = args;
  const items: OutputItem[] = [];
  let message: Extract<OutputItem, { type: "message" }> | undefined;
  const status = messageStatusFor(choice.finishReason);
  choice.content.forEach((part, j) => {
    switch (part.type) {
      case "text":
      case "refusal":
        if (!message) {
          message = { type: "message", id: ctx.newId("msg_"), parts: [], status };
          items.push(message);
        }
        message.parts.push(part);
        return;
      case "reasoning":
        message = undefined;
        items.push({
          type: "reasoning",
          id: part.id?.startsWith("rs_") ? part.id : ctx.newId("rs_"),
          part,
          ...(args.rawReasoning ? { rawAs: args.rawReasoning } : {}),
        });
        return;
      case "tool_call": {
        message = undefined;
        const client = clientKindOf(request, part);
        const call = client ? { ...part, client } : part;
        items.push({ type: "function_call", id: part.itemId ?? ctx.newId(callItemPrefix(call)), part: call, status: "completed" });
        return;
      }
      case "web_search_call":
        message = undefined;
        items.push({ type: "web_search_call", id: webSearchItemId(part), part });
        return;
      case "audio_output":
        warnings.push({ code: "content_dropped", path: `${path}.content[${j}]`, message: "Responses has no audio output; the audio was dropped" });
        return;
      default: {
        const never: never = part;
        return never;
      }
    }
  });
  return items;
}
