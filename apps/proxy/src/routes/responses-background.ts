// `background: true`: answer at once with a queued Response, then run the request to the end inside
// the proxy (an internal, non-streaming call of the same route) and store what it produced.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { StoredResponse } from "@yallmproxy/db";
import type { Caller } from "../auth.js";
import { BACKGROUND_HEADER } from "../background.js";
import { translateContext } from "../pipeline/translation.js";
import { normalizeInput } from "./responses.js";

export { BACKGROUND_HEADER };

function queuedResponse(id: string, body: Record<string, unknown>, createdAt: number): Record<string, unknown> {
  return {
    id,
    object: "response",
    created_at: createdAt,
    status: "queued",
    background: true,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: body.max_tool_calls ?? null,
    model: body.model,
    output: [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: body.reasoning ?? null,
    store: true,
    temperature: body.temperature ?? null,
    text: body.text ?? { format: { type: "text" } },
    tool_choice: body.tool_choice ?? "auto",
    tools: body.tools ?? [],
    top_p: body.top_p ?? null,
    truncation: body.truncation ?? "disabled",
    usage: null,
    metadata: body.metadata ?? {},
  };
}

export async function startBackground(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  body: Record<string, unknown>,
  caller: Caller,
): Promise<FastifyReply> {
  const runtime = app.runtime;
  const id = translateContext.newId("resp_");
  const now = Date.now();
  const queued = queuedResponse(id, body, Math.floor(now / 1000));
  const { input: _input, ...requestFields } = body;
  const record: StoredResponse = {
    id,
    ownerKeyId: caller.keyId,
    model: String(body.model),
    backend: "",
    status: "queued",
    request: requestFields,
    inputItems: normalizeInput(body.input),
    outputItems: [],
    response: queued,
    usage: null,
    previousResponseId: typeof body.previous_response_id === "string" ? body.previous_response_id : null,
    createdAt: now,
    expiresAt: now + runtime.config.responseState.ttlSeconds * 1000,
  };
  await runtime.responses.put(record);

  const headers: Record<string, string> = { "content-type": "application/json", [BACKGROUND_HEADER]: runtime.background.headerFor(id) };
  for (const name of new Set(["authorization", "x-api-key", runtime.config.appKeys.headerName])) {
    const v = request.headers[name];
    if (typeof v === "string") headers[name] = v;
  }
  runtime.background.start(id, async (signal) => {
    await runtime.responses.put({ ...record, status: "in_progress", response: { ...queued, status: "in_progress" } });
    const res = await app.inject({ method: "POST", url: "/v1/responses", headers, payload: { ...body, stream: false } });
    if (res.statusCode < 400 || signal.aborted) return;
    const current = await runtime.responses.get(id);
    if (!current || current.status === "cancelled" || current.status === "completed") return;
    let error: { code: string; message: string } = { code: "server_error", message: `background run failed with status ${res.statusCode}` };
    try {
      const parsed = res.json() as { error?: { code?: unknown; message?: unknown } };
      if (typeof parsed.error?.message === "string") error = { code: typeof parsed.error.code === "string" ? parsed.error.code : "server_error", message: parsed.error.message };
    } catch {
      // Keep the generic error.
    }
    await runtime.responses.put({ ...current, status: "failed", response: { ...current.response, status: "failed", error } });
  });
  return reply.code(200).send(queued);
}
