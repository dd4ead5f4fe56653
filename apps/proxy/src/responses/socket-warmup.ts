// `response.create` with `generate: false` on a Responses WebSocket: the request's state (input,
// tools, instructions) is taken in without calling a model, and answered with an empty completed
// Response that the next turn continues with `previous_response_id` (Codex opens with one).

import { codecs } from "@yallmproxy/translate";
import { type Caller, mayUseModel } from "../auth.js";
import { Errors, ProxyError } from "../errors.js";
import { lazyDecoder, translateContext } from "../pipeline/translation.js";
import type { ProxyRuntime } from "../runtime.js";
import { checkResponsesRequest } from "./create.js";
import type { ResponsesBody } from "./records.js";

/** The SSE text of a warm-up turn's answer (`response.created` … `response.completed`, no output). */
export function warmupAnswer(runtime: ProxyRuntime, caller: Caller, body: ResponsesBody): string {
  const primary = checkResponsesRequest(runtime, body);
  if (!mayUseModel(runtime.config, caller, primary)) throw Errors.modelNotAllowed(body.model);
  const request = lazyDecoder("responses", body, [])();
  if (request instanceof ProxyError) throw request;
  const id = translateContext.newId("resp_");
  const encoder = codecs.responses.createStreamEncoder({
    ctx: translateContext,
    request,
    model: body.model,
    id,
    previousResponseId: typeof body.previous_response_id === "string" ? body.previous_response_id : null,
  });
  return (
    encoder.push({ type: "start", id, model: body.model, created: translateContext.now() }) +
    encoder.push({ type: "finish", choice: 0, reason: "stop" }) +
    encoder.push({ type: "usage", usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } }) +
    encoder.push({ type: "end" })
  );
}
