// A create whose input ends with `{"type":"compaction_trigger"}` (Codex's remote compaction), on a
// backend that cannot compact: the history before it is compacted with the route's model, and the
// Response's one output item is the compaction item, streamed or whole, stored as any answer.

import { type Usage, codecs } from "@yallmproxy/translate";
import type { ModelRoute } from "../config/load-config.js";
import { Errors, ProxyError } from "../errors.js";
import type { ClientReply, ClientRequest } from "../pipeline/client.js";
import type { FinalHook } from "../pipeline/proxy-request.js";
import { lazyDecoder, translateContext } from "../pipeline/translation.js";
import type { ProxyRuntime } from "../runtime.js";
import { isRecord } from "./compaction-items.js";
import { type Summarize, compactHistory } from "./compaction.js";
import type { ResponsesBody } from "./records.js";

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

/** Whether `input` asks for a compaction now: its last item is a `compaction_trigger`. */
export function endsWithTrigger(input: unknown): input is unknown[] {
  if (!Array.isArray(input) || input.length === 0) return false;
  const last: unknown = input[input.length - 1];
  return isRecord(last) && last.type === "compaction_trigger";
}

export interface CompactionTurn {
  runtime: ProxyRuntime;
  request: ClientRequest;
  reply: ClientReply;
  body: ResponsesBody;
  primary: ModelRoute;
  upstreamBody: Record<string, unknown>;
  input: unknown[];
  id: string;
  summarize: Summarize;
  onFinal?: FinalHook;
}

export async function answerCompactionTurn(t: CompactionTurn): Promise<void> {
  const history = t.input.slice(0, -1);
  if (history.some((i) => isRecord(i) && i.type === "compaction_trigger")) {
    throw Errors.compactionTriggerNotLast();
  }
  const compacted = await compactHistory(t.runtime, t.request, t.body, history, { kind: "window", summarize: t.summarize });
  // The client's settings are echoed as for any Response; its input is not needed for that.
  const decoded = lazyDecoder("responses", { ...t.upstreamBody, input: [] }, [])();
  if (decoded instanceof ProxyError) throw decoded;
  const opts = {
    ctx: translateContext,
    request: decoded,
    model: t.body.model,
    id: t.id,
    previousResponseId: typeof t.body.previous_response_id === "string" ? t.body.previous_response_id : null,
    leadingItems: [compacted.item],
  };
  const usage = usageOf(compacted.response.usage);
  const backend = t.runtime.generation.backends.get(t.primary.name);
  if (t.body.stream === true) {
    let final: Record<string, unknown> | undefined;
    const encoder = codecs.responses.createStreamEncoder({ ...opts, onComplete: (r) => (final = r) });
    let sse = encoder.push({ type: "start", id: t.id, model: t.body.model, created: translateContext.now() });
    // One choice that says nothing: the compaction item is the whole output.
    sse += encoder.push({ type: "finish", choice: 0, reason: "stop" });
    if (usage) sse += encoder.push({ type: "usage", usage });
    sse += encoder.push({ type: "end" }) + encoder.end();
    if (final && backend && t.onFinal) await t.onFinal(final, backend);
    t.reply.hijack();
    t.reply.raw.writeHead(200, { ...SSE_HEADERS, "x-request-id": String(t.request.id) });
    t.reply.raw.end(sse);
    return;
  }
  const response = { id: t.id, model: t.body.model, created: translateContext.now(), choices: [], ...(usage ? { usage } : {}) };
  const json = codecs.responses.encodeResponse(response, opts).value;
  if (backend && t.onFinal) await t.onFinal(json, backend);
  t.reply.code(200).header("content-type", "application/json; charset=utf-8").send(JSON.stringify(json));
}

function usageOf(u: unknown): Usage | undefined {
  if (!isRecord(u) || typeof u.input_tokens !== "number" || typeof u.output_tokens !== "number") return undefined;
  return {
    inputTokens: u.input_tokens,
    outputTokens: u.output_tokens,
    totalTokens: typeof u.total_tokens === "number" ? u.total_tokens : u.input_tokens + u.output_tokens,
  };
}
