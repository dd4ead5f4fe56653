// `/v1/responses`: OpenAI Responses clients on any backend (the work is in responses/), and the
// stored-response API (get, delete, cancel, input items).

import { IdParams, InputItemList, InputItemsQuery, ResponseAnswer, ResponseDeleted } from "@yallmproxy/api";
import type { FastifyInstance } from "fastify";
import { Errors } from "../errors.js";
import { typed } from "../http/schema.js";
import { cancelBackground, checkBackground, startBackground } from "../responses/background.js";
import { ownedResponse } from "../responses/chain.js";
import { responsesBodySchema } from "../responses/body-schema.js";
import { callerOf, checkResponsesRequest, createResponse } from "../responses/create.js";

export async function responsesRoutes(app: FastifyInstance): Promise<void> {
  const config = { auth: true, clientFormat: "responses" as const };
  const api = typed(app);

  api.post("/v1/responses", { schema: { body: responsesBodySchema }, config }, async (request, reply) => {
    const runtime = app.runtime;
    if (request.body.background === true) {
      checkResponsesRequest(runtime, request.body);
      checkBackground(request.body);
      await startBackground(runtime, request, reply, request.body);
    } else {
      await createResponse({ runtime, request, reply, body: request.body });
    }
    return reply;
  });

  api.post("/v1/responses/:id/cancel", { config, schema: { params: IdParams, response: { 200: ResponseAnswer } } }, async (request) =>
    cancelBackground(app.runtime, request.params.id, request),
  );

  api.get("/v1/responses/:id", { config, schema: { params: IdParams, response: { 200: ResponseAnswer } } }, async (request) => {
    const found = await ownedResponse(app.runtime.responses, request.params.id, callerOf(request));
    if (typeof found === "string") throw Errors.responseNotFound(request.params.id);
    return found.response;
  });

  api.delete("/v1/responses/:id", { config, schema: { params: IdParams, response: { 200: ResponseDeleted } } }, async (request) => {
    const found = await ownedResponse(app.runtime.responses, request.params.id, callerOf(request));
    if (typeof found === "string") throw Errors.responseNotFound(request.params.id);
    await app.runtime.responses.delete(request.params.id);
    return { id: request.params.id, object: "response" as const, deleted: true as const };
  });

  api.get(
    "/v1/responses/:id/input_items",
    { config, schema: { params: IdParams, querystring: InputItemsQuery, response: { 200: InputItemList } } },
    async (request) => {
      const found = await ownedResponse(app.runtime.responses, request.params.id, callerOf(request));
      if (typeof found === "string") throw Errors.responseNotFound(request.params.id);
      const limit = request.query.limit === undefined ? 20 : Number(request.query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw Errors.invalidField("limit", "limit must be an integer from 1 to 100.");
      const order = request.query.order ?? "desc";
      if (order !== "asc" && order !== "desc") throw Errors.invalidField("order", "order must be 'asc' or 'desc'.");
      const items = order === "desc" ? [...found.inputItems].reverse() : found.inputItems;
      let start = 0;
      if (request.query.after) {
        start = items.findIndex((i) => i.id === request.query.after) + 1;
        if (start === 0) throw Errors.invalidField("after", `No input item with id '${request.query.after}'.`);
      }
      const data = items.slice(start, start + limit);
      const idOf = (item: Record<string, unknown> | undefined) => (typeof item?.id === "string" ? item.id : null);
      return {
        object: "list" as const,
        data,
        first_id: idOf(data[0]),
        last_id: idOf(data[data.length - 1]),
        has_more: start + limit < items.length,
      };
    },
  );
}
