// `previous_response_id` chains rebuilt by the proxy for a chat-completions backend, and the stored
// response API (GET, input_items, DELETE), driven by the official `openai` SDK.

import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";
import { type ScriptedAnswer, chatCompletionOf, chatStreamFrames, writeSse } from "../lib/scripted.js";

let up: Upstream;
let p: RunningProxy;
let client: OpenAI;
/** What the upstream answers next, in order; each test pushes its own answers. */
const script: ScriptedAnswer[] = [];

beforeAll(async () => {
  up = await startUpstream(async (req, res) => {
    const answer = script.shift() ?? { text: ["(no script)"] };
    if (req.json?.stream === true) await writeSse(res, chatStreamFrames(answer));
    else sendJson(res, 200, chatCompletionOf(answer));
  });
  p = await startProxy(`
model_list:
  - model_name: resp-chat
    model_params: { api_type: openai, api_base: ${up.url}, api_key: sk-up, model: up-model }
router_settings: { num_retries: 0 }
`);
  client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "test-key", maxRetries: 0 });
});

afterAll(async () => {
  await p.close();
  await up.close();
});

const weatherTool = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

/** The messages the upstream received in its last request. */
function lastUpstreamMessages(): unknown[] {
  return up.requests.at(-1)!.json!.messages as unknown[];
}

describe("previous_response_id on a chat backend", () => {
  it("three turns with a tool call in the middle: the upstream sees the whole history, in order", async () => {
    // Turn 1: the user asks, the model calls a tool (streamed).
    script.push({ toolCalls: [{ id: "call_abc", name: "get_weather", argumentFragments: ['{"city":', '"Paris"}'] }] });
    const turn1 = await client.responses
      .stream({ model: "resp-chat", instructions: "You are a weather bot.", input: "Weather in Paris?", tools: [weatherTool] })
      .finalResponse();
    expect(turn1.status).toBe("completed");
    const call = turn1.output[0]!;
    if (call.type !== "function_call") throw new Error(`expected a function_call, got ${call.type}`);
    expect(call.call_id).toBe("call_abc");
    expect(lastUpstreamMessages()).toEqual([
      { role: "system", content: "You are a weather bot." },
      { role: "user", content: "Weather in Paris?" },
    ]);

    // Turn 2: the tool's output, continuing turn 1 (not streamed).
    script.push({ text: ["It is sunny in Paris."] });
    const turn2 = await client.responses.create({
      model: "resp-chat",
      previous_response_id: turn1.id,
      instructions: "You are a weather bot.",
      input: [{ type: "function_call_output", call_id: "call_abc", output: '{"sky":"sunny","temp_c":21}' }],
      tools: [weatherTool],
    });
    expect(turn2.output_text).toBe("It is sunny in Paris.");
    expect(turn2.previous_response_id).toBe(turn1.id);
    const assistantCall = {
      role: "assistant",
      content: null,
      tool_calls: [{ id: "call_abc", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
    };
    expect(lastUpstreamMessages()).toEqual([
      { role: "system", content: "You are a weather bot." },
      { role: "user", content: "Weather in Paris?" },
      assistantCall,
      { role: "tool", tool_call_id: "call_abc", content: '{"sky":"sunny","temp_c":21}' },
    ]);

    // Turn 3: another user message continuing turn 2 (streamed).
    script.push({ text: ["Take ", "sunglasses."] });
    const turn3 = await client.responses.stream({ model: "resp-chat", previous_response_id: turn2.id, input: "What should I wear?" }).finalResponse();
    expect(turn3.output_text).toBe("Take sunglasses.");
    expect(turn3.previous_response_id).toBe(turn2.id);
    expect(lastUpstreamMessages()).toEqual([
      { role: "user", content: "Weather in Paris?" },
      assistantCall,
      { role: "tool", tool_call_id: "call_abc", content: '{"sky":"sunny","temp_c":21}' },
      { role: "assistant", content: "It is sunny in Paris." },
      { role: "user", content: "What should I wear?" },
    ]);

    // The stored responses, as the SDK reads them.
    const got = await client.responses.retrieve(turn2.id);
    expect(got.id).toBe(turn2.id);
    expect(got.status).toBe("completed");
    expect(got.output_text).toBe("It is sunny in Paris.");
    expect(got.previous_response_id).toBe(turn1.id);

    const got3 = await client.responses.retrieve(turn3.id);
    expect(got3.output_text).toBe("Take sunglasses.");
    expect(got3.output.map((i) => i.id)).toEqual(turn3.output.map((i) => i.id));

    const items = await client.responses.inputItems.list(turn2.id);
    expect(items.data).toHaveLength(1);
    expect(items.data[0]).toMatchObject({ type: "function_call_output", call_id: "call_abc", output: '{"sky":"sunny","temp_c":21}' });
    const items1 = await client.responses.inputItems.list(turn1.id, { order: "asc" });
    expect(items1.data[0]).toMatchObject({ type: "message", role: "user", content: [{ type: "input_text", text: "Weather in Paris?" }] });

    // DELETE, then it is gone for GET and for continuing.
    await client.responses.delete(turn3.id); // typed void; resolves on a 2xx
    const gone = await client.responses.retrieve(turn3.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
    const cont = await client.responses.create({ model: "resp-chat", previous_response_id: turn3.id, input: "more" }).catch((e: unknown) => e);
    expect(cont).toBeInstanceOf(OpenAI.BadRequestError);
    expect((cont as InstanceType<typeof OpenAI.APIError>).message).toContain(`Previous response with id '${turn3.id}' not found.`);
  });

  it("DELETE answers OpenAI's deletion object on the wire", async () => {
    script.push({ text: ["ok"] });
    const r = await client.responses.create({ model: "resp-chat", input: "hi" });
    const res = await fetch(`${p.url}/v1/responses/${r.id}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: r.id, object: "response", deleted: true });
    const again = await fetch(`${p.url}/v1/responses/${r.id}`, { method: "DELETE" });
    expect(again.status).toBe(404);
  });

  it("an unknown previous_response_id is a 400 with OpenAI's message, and the upstream is not called", async () => {
    const before = up.requests.length;
    const res = await fetch(`${p.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "resp-chat", previous_response_id: "resp_doesnotexist", input: "hi" }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; param: string | null; type: string } };
    expect(body.error.message).toBe("Previous response with id 'resp_doesnotexist' not found.");
    expect(body.error.param).toBe("previous_response_id");
    expect(body.error.type).toBe("invalid_request_error");
    expect(up.requests.length).toBe(before);

    const err = await client.responses.create({ model: "resp-chat", previous_response_id: "resp_doesnotexist", input: "hi" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("item_reference: the proxy's own items resolve without previous_response_id; unknown ids are a 400", async () => {
    script.push({ text: ["First answer."] });
    const first = await client.responses.create({ model: "resp-chat", input: "Question one" });
    const msgId = first.output[0]!.id!;
    script.push({ text: ["Second answer."] });
    const second = await client.responses.create({
      model: "resp-chat",
      input: [
        { role: "user", content: "Question one" },
        { type: "item_reference", id: msgId },
        { role: "user", content: "Question two" },
      ],
    });
    expect(second.output_text).toBe("Second answer.");
    expect(lastUpstreamMessages()).toEqual([
      { role: "user", content: "Question one" },
      { role: "assistant", content: "First answer." },
      { role: "user", content: "Question two" },
    ]);

    const before = up.requests.length;
    const res = await fetch(`${p.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "resp-chat", input: [{ type: "item_reference", id: "msg_nope" }] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: Record<string, unknown> }).error).toMatchObject({
      message: "Item with id 'msg_nope' not found.",
      code: "item_not_found",
    });
    expect(up.requests.length).toBe(before);
  });

  it("store: false answers normally but the id can be neither read nor continued", async () => {
    script.push({ text: ["not kept"] });
    const r = await client.responses.create({ model: "resp-chat", input: "forget me", store: false });
    expect(r.output_text).toBe("not kept");
    expect((r as unknown as { store: boolean }).store).toBe(false);
    script.push({ text: ["streamed, not kept"] });
    const s = await client.responses.stream({ model: "resp-chat", input: "forget me too", store: false }).finalResponse();
    expect(s.output_text).toBe("streamed, not kept");

    for (const id of [r.id, s.id]) {
      const cont = await client.responses.create({ model: "resp-chat", previous_response_id: id, input: "and then?" }).catch((e: unknown) => e);
      expect(cont).toBeInstanceOf(OpenAI.BadRequestError);
      expect((cont as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
      expect((cont as InstanceType<typeof OpenAI.APIError>).message).toContain(`Previous response with id '${id}' not found.`);
      const got = await client.responses.retrieve(id).catch((e: unknown) => e);
      expect(got).toBeInstanceOf(OpenAI.NotFoundError);
    }
  });
});
