// `api_type: gigachat`: a backend that speaks Chat Completions to the proxy and GigaChat's own API
// upstream, so Chat, Responses and Messages clients all reach it through the usual codecs. In cloud
// mode each call carries an OAuth token (refetched once when GigaChat answers 401); in local mode the
// client certificate alone admits it.

import { Readable, pipeline } from "node:stream";
import type { ModelRoute } from "../../config/load-config.js";
import type { GigaChatSettings } from "../../config/gigachat-config.js";
import { joinedBody } from "../body-bytes.js";
import type { Backend, UpstreamRequest, UpstreamResponse } from "../types.js";
import { UpstreamCall } from "../upstream-call.js";
import { type JsonObject, isObject, randomHex } from "./gigachat-api.js";
import { type GigaChatClients, GigaChatTlsError, credentialsKey } from "./gigachat-clients.js";
import { GigaChatRequestError, chatToGigaChat } from "./map-request.js";
import { type AnswerIds, gigachatErrorToChat, gigachatToChat } from "./map-response.js";
import { gigachatStreamToChat } from "./stream-mapper.js";
import { GigaChatAuthError, readLimited } from "./token-source.js";
import { type TurnResult, completionToSse, emulateToolCalls, wantsEmulation } from "./tool-emulation.js";

const CHAT_PATH = "/chat/completions";
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
const MAX_ERROR_BYTES = 64 * 1024;

export class GigaChatBackend implements Backend {
  readonly format = "chat" as const;
  private readonly settings: GigaChatSettings;
  private readonly origin: string;
  private readonly basePath: string;

  constructor(
    readonly route: ModelRoute,
    private readonly clients: GigaChatClients,
  ) {
    if (!route.gigachat) throw new Error(`model ${route.name} has no GigaChat settings`);
    this.settings = route.gigachat;
    const base = new URL(route.apiBase);
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, "");
  }

  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    if (req.path !== CHAT_PATH) return errorResponse(404, `GigaChat backend serves ${CHAT_PATH}, not ${req.path}`, "unknown_url");
    const body = bodyOf(req);
    if (!body) return errorResponse(400, "the request body is not a JSON object", "invalid_request");
    const model = typeof body.model === "string" && body.model ? body.model : this.route.upstreamModel;
    const ids: AnswerIds = { id: `chatcmpl-${randomHex()}`, created: Math.floor(Date.now() / 1000), model, random: randomHex };
    try {
      if (this.settings.emulateToolCalls && wantsEmulation(body)) return await this.emulated(body, model, ids, req);
      const payload = chatToGigaChat(body, model);
      const res = await this.post(payload, req);
      if (res.status >= 400) return await this.upstreamFailure(res);
      if (!req.stream) return jsonResponse(200, gigachatToChat(await this.readJson(res), ids));
      const out = pipeline(res.body, gigachatStreamToChat(ids), () => undefined);
      return { status: 200, headers: { "content-type": "text/event-stream" }, body: out };
    } catch (err) {
      if (err instanceof GigaChatRequestError) return errorResponse(400, err.message, "invalid_request");
      if (err instanceof GigaChatAuthError) return errorResponse(502, err.message, "gigachat_auth_failed");
      if (err instanceof GigaChatTlsError) return errorResponse(502, err.message, "gigachat_tls_config");
      if (err instanceof GigaChatAnswerError) return errorResponse(502, err.message, "bad_upstream_answer");
      throw err;
    }
  }

  /** Tool emulation's answer, whole or as a one-chunk stream. */
  private async emulated(body: JsonObject, model: string, ids: AnswerIds, req: UpstreamRequest): Promise<UpstreamResponse> {
    const turn = async (payload: JsonObject): Promise<TurnResult<UpstreamResponse>> => {
      const res = await this.post(payload, { ...req, stream: false });
      if (res.status >= 400) return { ok: false, failure: await this.upstreamFailure(res) };
      return { ok: true, data: await this.readJson(res) };
    };
    const result = await emulateToolCalls(body, model, ids, turn);
    if ("failure" in result) return result.failure;
    if ("unparsed" in result) return errorResponse(502, result.unparsed, "bad_upstream_answer");
    if (!req.stream) return jsonResponse(200, result.completion);
    return { status: 200, headers: { "content-type": "text/event-stream" }, body: Readable.from([Buffer.from(completionToSse(result.completion))]) };
  }

  /** One call with a token; a 401 gets one more try with a fresh token. */
  private async post(payload: JsonObject, req: UpstreamRequest): Promise<UpstreamResponse> {
    const agent = this.clients.agentFor(this.settings);
    const cloud = this.settings.mode === "cloud";
    const tokenReq = cloud ? this.tokenRequest(agent) : undefined;
    const token = tokenReq ? await this.clients.tokens.get(tokenReq) : undefined;
    const first = await this.dispatch(payload, req, token);
    if (first.status !== 401 || !tokenReq || !token) return first;
    first.body.resume();
    this.clients.tokens.invalidate(tokenReq.key, token);
    return this.dispatch(payload, req, await this.clients.tokens.get(tokenReq));
  }

  private tokenRequest(agent: ReturnType<GigaChatClients["agentFor"]>) {
    const apiKey = this.route.apiKey ?? "";
    return { key: credentialsKey(this.settings, apiKey), authUrl: this.settings.authUrl, apiKey, scope: this.settings.scope, dispatcher: agent };
  }

  private dispatch(payload: JsonObject, req: UpstreamRequest, token: string | undefined): Promise<UpstreamResponse> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: req.stream ? "text/event-stream" : "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...this.route.headers,
    };
    const timeoutMs = this.route.timeoutMs;
    const call = new UpstreamCall(req.cancel, this.route.name, req.stream ? "stream" : "body", timeoutMs);
    const options = {
      origin: this.origin,
      path: this.basePath + CHAT_PATH,
      method: "POST" as const,
      headers,
      body: JSON.stringify(payload),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    };
    return call.start(this.clients.agentFor(this.settings), options);
  }

  private async readJson(res: UpstreamResponse): Promise<JsonObject> {
    const text = await readLimited(res.body, MAX_ANSWER_BYTES);
    if (text === undefined) throw new GigaChatAnswerError(`GigaChat's answer is larger than ${MAX_ANSWER_BYTES} bytes or broke off`);
    try {
      const data: unknown = JSON.parse(text);
      if (isObject(data)) return data;
    } catch {
      // Reported below.
    }
    throw new GigaChatAnswerError("GigaChat's answer is not a JSON object");
  }

  /** GigaChat's 4xx/5xx with its message, as an OpenAI error of the same status. */
  private async upstreamFailure(res: UpstreamResponse): Promise<UpstreamResponse> {
    const text = (await readLimited(res.body, MAX_ERROR_BYTES)) ?? "";
    const headers: Record<string, string> = {};
    const retryAfter = res.headers["retry-after"];
    if (typeof retryAfter === "string") headers["retry-after"] = retryAfter;
    return jsonResponse(res.status, gigachatErrorToChat(res.status, text), headers);
  }

  async close(): Promise<void> {}
}

class GigaChatAnswerError extends Error {}

function bodyOf(req: UpstreamRequest): JsonObject | undefined {
  if (!req.rawBody) return req.body;
  try {
    const parsed: unknown = JSON.parse(joinedBody(req.rawBody).toString("utf8"));
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): UpstreamResponse {
  return { status, headers: { "content-type": "application/json", ...headers }, body: Readable.from([Buffer.from(JSON.stringify(body))]) };
}

function errorResponse(status: number, message: string, code: string): UpstreamResponse {
  const type = status >= 500 ? "server_error" : "invalid_request_error";
  return jsonResponse(status, { error: { message, type, param: null, code } });
}
