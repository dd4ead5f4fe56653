// Token counting on a backend that counts itself (`/messages/count_tokens` on Anthropic,
// `/responses/input_tokens` on Responses): the body forwarded with the route's model and
// parameters, the backend's JSON answer (or error) relayed as it came.

import type { FastifyReply } from "fastify";
import { codecs } from "@yallmproxy/translate";
import { Cancel } from "../cancel.js";
import { Errors } from "../errors.js";
import type { ModelRoute } from "../config/load-config.js";
import { passthroughBody } from "../pipeline/apply-parameters.js";
import { readAll } from "../pipeline/relay.js";
import { bodyFailure, checkJsonAnswer, contentTypeOf, wrongContentType } from "../pipeline/upstream-answer.js";
import { failedCallError, retryHeaders } from "../router.js";
import { type Backend, UpstreamError } from "../upstream/types.js";

export async function forwardCount(o: {
  reply: FastifyReply;
  backend: Backend;
  route: ModelRoute;
  path: string;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}): Promise<FastifyReply> {
  const { reply, backend, route } = o;
  const cancel = new Cancel();
  reply.raw.once("close", () => cancel.abort());
  let res;
  try {
    res = await backend.send({
      path: o.path,
      body: passthroughBody(o.body, route, codecs[backend.format].takesRouteThinking),
      stream: false,
      headers: o.headers ?? {},
      cancel,
    });
  } catch (err) {
    throw err instanceof UpstreamError ? failedCallError(err, route.name) : err;
  }
  const wrong = res.status < 400 ? wrongContentType(contentTypeOf(res.headers), false) : undefined;
  if (wrong) throw Errors.upstreamBadResponse(route.name, wrong);
  let payload: Buffer;
  try {
    payload = await readAll(res.body);
  } catch (err) {
    throw bodyFailure(err, route.name);
  }
  if (res.status < 400) {
    const bad = checkJsonAnswer(backend.format, route.name, payload);
    if (bad) throw bad;
  }
  return reply.code(res.status).headers(retryHeaders(res.headers)).header("content-type", "application/json").send(payload);
}
