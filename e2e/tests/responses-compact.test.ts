// `POST /v1/responses/compact` through the official `openai` SDK: on chat and Anthropic backends the
// proxy compacts with the route's model and a later turn sends the summary instead of the history;
// compaction items are the key's own; a native Responses backend compacts itself.

import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningProxy, type Upstream, sendJson, startProxy, startUpstream } from "../lib/harness.js";
import { anthropicFrame, chatCompletionOf, chatStreamFrames, writeSse } from "../lib/scripted.js";

const keys = { A: "secret-key-a", B: "secret-key-b" };
let chatUp: Upstream;
let claudeUp: Upstream;
let nativeUp: Upstream;
let p: RunningProxy;
/** What the chat and Anthropic upstreams answer next, in order. */
const script: string[] = [];

const nativeCompaction = {
  id: "cmp_native_1",
  object: "response.compaction",
  created_at: 1700000000,
  output: [
    { id: "msg_n1", type: "message", role: "user", status: "completed", content: [{ type: "input_text", text: "hello" }] },
    { id: "cmp_item_n1", type: "compaction", encrypted_content: "gAAAAnative-opaque" },
  ],
  usage: { input_tokens: 30, output_tokens: 8, total_tokens: 38, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
};

/** An Anthropic Messages stream of one text block. */
function claudeFrames(text: string): string[] {
  return [
    anthropicFrame("message_start", {
      message: {
        id: "msg_up_2",
        type: "message",
        role: "assistant",
        model: "claude-up",
        content: [],
        stop_reason: null,
        usage: { input_tokens: 40, output_tokens: 0 },
      },
    }),
    anthropicFrame("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    anthropicFrame("content_block_delta", { index: 0, delta: { type: "text_delta", text } }),
    anthropicFrame("content_block_stop", { index: 0 }),
    anthropicFrame("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 9 } }),
    anthropicFrame("message_stop"),
  ];
}

beforeAll(async () => {
  chatUp = await startUpstream(async (req, res) => {
    const answer = { text: [script.shift() ?? "(no script)"] };
    if (req.json?.stream === true) await writeSse(res, chatStreamFrames(answer));
    else sendJson(res, 200, chatCompletionOf(answer));
  });
  claudeUp = await startUpstream(async (req, res) => {
    if (req.json?.stream === true) return writeSse(res, claudeFrames(script.shift() ?? "(no script)"));
    sendJson(res, 200, {
      id: "msg_up_1",
      type: "message",
      role: "assistant",
      model: "claude-up",
      content: [{ type: "text", text: script.shift() ?? "(no script)" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 40, output_tokens: 9 },
    });
  });
  nativeUp = await startUpstream((req, res) => {
    if (req.url.endsWith("/responses/compact")) return sendJson(res, 200, nativeCompaction);
    return sendJson(res, 200, {
      id: "resp_native_1",
      object: "response",
      created_at: 1700000000,
      status: "completed",
      model: "gpt-up",
      output: [{ id: "msg_o1", type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "native", annotations: [] }] }],
      usage: { input_tokens: 3, output_tokens: 1, total_tokens: 4 },
    });
  });
  p = await startProxy(`
model_list:
  - model_name: on-chat
    model_params: { api_type: openai, api_base: ${chatUp.url}, api_key: sk-up, model: up-model }
  - model_name: on-claude
    model_params: { api_type: anthropic, api_base: ${claudeUp.url}, api_key: sk-ant, model: claude-up }
  - model_name: on-native
    model_params: { api_type: openai-responses, api_base: ${nativeUp.url}, api_key: sk-up, model: gpt-up }
router_settings: { num_retries: 0 }
app_keys:
  enabled: true
  keys:
    - { key_id: a, secret: ${keys.A} }
    - { key_id: b, secret: ${keys.B} }
`);
});

afterAll(async () => {
  await p.close();
  await Promise.all([chatUp.close(), claudeUp.close(), nativeUp.close()]);
});

const client = (key = keys.A) => new OpenAI({ baseURL: `${p.url}/v1`, apiKey: key, maxRetries: 0 });

/** Every text the upstream's last request carried, in order (chat messages or Anthropic content). */
function textsOf(up: Upstream): string[] {
  const json = up.requests.at(-1)!.json!;
  const out: string[] = [];
  if (typeof json.system === "string") out.push(json.system);
  if (Array.isArray(json.system)) for (const b of json.system as Array<{ text: string }>) out.push(b.text);
  for (const m of json.messages as Array<{ role: string; content: unknown }>) {
    if (typeof m.content === "string") out.push(`${m.role}: ${m.content}`);
    else if (Array.isArray(m.content)) for (const b of m.content as Array<{ text?: string }>) if (b.text !== undefined) out.push(`${m.role}: ${b.text}`);
  }
  return out;
}

const SUMMARY_PREFIX = "Summary of the earlier part of this conversation, which was compacted:\n\n";

for (const [model, up] of [
  ["on-chat", () => chatUp],
  ["on-claude", () => claudeUp],
] as const) {
  describe(`compaction on ${model}`, () => {
    it("a stored chain compacted by the endpoint; the next turn sends the summary instead of the history", async () => {
      const c = client();
      script.push("Paris is sunny.");
      const t1 = await c.responses.create({ model, input: "What is the weather in Paris?" });
      script.push("Lyon is rainy.");
      const t2 = await c.responses.create({ model, previous_response_id: t1.id, input: "And in Lyon?" });

      script.push("SUMMARY: user asked about Paris (sunny) and Lyon (rainy).");
      const compacted = await c.responses.compact({ model, previous_response_id: t2.id });
      // The summarization call: the route's model, the fixed prompt, the whole history.
      const sent = textsOf(up());
      expect(sent[0]).toMatch(/^(system: )?You compact conversations\./);
      expect(sent.slice(1, 5)).toEqual([
        "user: What is the weather in Paris?",
        "assistant: Paris is sunny.",
        "user: And in Lyon?",
        "assistant: Lyon is rainy.",
      ]);
      expect(sent[5]).toMatch(/^user: Summarize the conversation so far/);

      expect(compacted.object).toBe("response.compaction");
      expect(compacted.id).toMatch(/^cmp_/);
      expect(compacted.output.map((i) => i.type)).toEqual(["message", "message", "compaction"]);
      const item = compacted.output[2]!;
      if (item.type !== "compaction") throw new Error("expected a compaction item");
      expect(item.encrypted_content).not.toContain("Paris");
      expect(compacted.usage).toMatchObject({ input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } });
      expect(compacted.usage.input_tokens).toBeGreaterThan(0);
      // Each kept user message is a whole output item, as the spec's Message has it.
      expect(compacted.output[0]).toMatchObject({
        id: expect.stringMatching(/^msg_/),
        type: "message",
        role: "user",
        status: "completed",
        content: [{ type: "input_text", text: "What is the weather in Paris?" }],
      });

      // The next turn: the compacted window plus a new message; the summary replaces the answers.
      script.push("Take an umbrella to Lyon.");
      const t3 = await c.responses.create({
        model,
        input: [...(compacted.output as OpenAI.Responses.ResponseInputItem[]), { role: "user", content: "What should I pack?" }],
      });
      expect(t3.output_text).toBe("Take an umbrella to Lyon.");
      expect(textsOf(up())).toEqual([
        "user: What is the weather in Paris?",
        "user: And in Lyon?",
        `user: ${SUMMARY_PREFIX}SUMMARY: user asked about Paris (sunny) and Lyon (rainy).`,
        "user: What should I pack?",
      ]);

      // Continuing that turn by id replays the compaction item, expanded again.
      script.push("Boots too.");
      await c.responses.create({ model, previous_response_id: t3.id, input: "Anything else?" });
      const again = textsOf(up());
      expect(again).toContain(`user: ${SUMMARY_PREFIX}SUMMARY: user asked about Paris (sunny) and Lyon (rainy).`);
      expect(again.join("\n")).not.toContain("Paris is sunny.");

      // The summary is a stored record of the key: GET shows the compacted object, DELETE forgets it.
      expect((await c.responses.retrieve(compacted.id)).object as string).toBe("response.compaction");
      await c.responses.delete(compacted.id);
      const gone = await c.responses.create({ model, input: compacted.output as OpenAI.Responses.ResponseInputItem[] }).catch((e: unknown) => e);
      expect(gone).toBeInstanceOf(OpenAI.BadRequestError);
    });

    it("another key cannot expand the compaction; foreign or made-up content is a 400", async () => {
      script.push("SUMMARY: a secret plan.");
      const compacted = await client().responses.compact({ model, input: [{ role: "user", content: "my secret plan" }] });
      const item = compacted.output.find((i) => i.type === "compaction")!;
      const before = up().requests.length;
      for (const [key, bad] of [
        [keys.B, item],
        [keys.A, { type: "compaction", encrypted_content: "gAAAAB-made-by-openai" }],
        [keys.A, { type: "compaction", encrypted_content: "yallmproxy.compaction.v1.cmp_000000000000000000000000" }],
      ] as const) {
        const err = await client(key)
          .responses.create({ model, input: [bad as OpenAI.Responses.ResponseInputItem, { role: "user", content: "go on" }] })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(OpenAI.BadRequestError);
        const e = err as InstanceType<typeof OpenAI.BadRequestError>;
        expect(e.code).toBe("invalid_encrypted_content");
        expect(e.param).toBe("input");
        expect(e.message).not.toContain("secret");
      }
      // Nothing reached the upstream, and key B's compact of A's item is refused the same way.
      expect(up().requests.length).toBe(before);
      const viaCompact = await client(keys.B)
        .responses.compact({ model, input: [item as OpenAI.Responses.ResponseInputItem] })
        .catch((e: unknown) => e);
      expect(viaCompact).toBeInstanceOf(OpenAI.BadRequestError);
    });
  });
}

const LONG = "x".repeat(2000);
const cm = [{ type: "compaction", compact_threshold: 400 }];

for (const [model, up] of [
  ["on-chat", () => chatUp],
  ["on-claude", () => claudeUp],
] as const) {
  describe(`context_management compaction on ${model}`, () => {
    it("stateless: past the threshold the history is compacted first, and the answer starts with the item", async () => {
      const c = client();
      const history: OpenAI.Responses.ResponseInputItem[] = [
        { role: "user", content: "Write a long text." },
        { role: "assistant", content: `First: ${LONG}` },
        { role: "user", content: "Another one." },
        { role: "assistant", content: `Second: ${LONG}` },
      ];
      script.push("WINDOW-SUMMARY: two long texts were written.", "Here is a third.");
      const before = up().requests.length;
      const r = await c.responses.create({ model, input: [...history, { role: "user", content: "A third?" }], context_management: cm, store: false });
      expect(up().requests.length - before).toBe(2);
      expect(r.output.map((i) => i.type)).toEqual(["compaction", "message"]);
      expect(r.output_text).toBe("Here is a third.");
      const sent = textsOf(up());
      expect(sent).toEqual([
        "user: Write a long text.",
        "user: Another one.",
        `user: ${SUMMARY_PREFIX}WINDOW-SUMMARY: two long texts were written.`,
        "user: A third?",
      ]);

      // The client appends the output and goes on; what came before the item is not sent again.
      script.push("Done.");
      const next = await c.responses.create({
        model,
        input: [...history, { role: "user", content: "A third?" }, ...(r.output as OpenAI.Responses.ResponseInputItem[]), { role: "user", content: "Thanks." }],
        context_management: cm,
        store: false,
      });
      expect(next.output.map((i) => i.type)).toEqual(["message"]);
      expect(textsOf(up())).toEqual([
        "user: Write a long text.",
        "user: Another one.",
        `user: ${SUMMARY_PREFIX}WINDOW-SUMMARY: two long texts were written.`,
        "assistant: Here is a third.",
        "user: Thanks.",
      ]);
    });

    it("previous_response_id, streamed: the item is streamed first, and later turns continue from it", async () => {
      const c = client();
      script.push(`First: ${LONG}`);
      const t1 = await c.responses.create({ model, input: "Write a long text." });
      script.push(`Second: ${LONG}`);
      const t2 = await c.responses.create({ model, previous_response_id: t1.id, input: "Another one." });
      script.push("WINDOW-SUMMARY: two texts.", "Third.");
      const stream = c.responses.stream({ model, previous_response_id: t2.id, input: "A third?", context_management: cm });
      const added: string[] = [];
      stream.on("response.output_item.added", (e) => added.push(`${e.output_index}:${e.item.type}`));
      const t3 = await stream.finalResponse();
      expect(added).toEqual(["0:compaction", "1:message"]);
      expect(t3.output.map((i) => i.type)).toEqual(["compaction", "message"]);
      expect((await c.responses.retrieve(t3.id)).output.map((i) => i.type)).toEqual(["compaction", "message"]);

      script.push("Fourth.");
      await c.responses.create({ model, previous_response_id: t3.id, input: "A fourth?" });
      expect(textsOf(up())).toEqual([
        "user: Write a long text.",
        "user: Another one.",
        `user: ${SUMMARY_PREFIX}WINDOW-SUMMARY: two texts.`,
        "assistant: Third.",
        "user: A fourth?",
      ]);
    });

    it("under the threshold nothing is compacted", async () => {
      script.push("Short.");
      const before = up().requests.length;
      const r = await client().responses.create({ model, input: "Hi", context_management: cm, store: false });
      expect(up().requests.length - before).toBe(1);
      expect(r.output.map((i) => i.type)).toEqual(["message"]);
    });
  });
}

for (const [model, up, stream] of [
  ["on-chat", () => chatUp, false],
  ["on-claude", () => claudeUp, true],
] as const) {
  describe(`a compaction_trigger item on ${model} (${stream ? "stream" : "JSON"})`, () => {
    it("answers one compaction item, made by the route's model, and the next turn sends its summary", async () => {
      const c = client();
      const history: OpenAI.Responses.ResponseInputItem[] = [
        { role: "user", content: "List the files." },
        { role: "assistant", content: "main.go and go.mod." },
      ];
      const trigger = { type: "compaction_trigger" } as unknown as OpenAI.Responses.ResponseInputItem;
      script.push("TRIGGER-SUMMARY: two files, main.go and go.mod.");
      const before = up().requests.length;
      const body = { model, input: [...history, trigger], store: false };
      const r = stream ? await c.responses.stream(body).finalResponse() : await c.responses.create(body);
      expect(up().requests.length - before).toBe(1);
      expect(textsOf(up()).at(-1)).toMatch(/^user: Summarize the conversation so far/);
      expect(r.status).toBe("completed");
      expect(r.output.map((i) => i.type)).toEqual(["compaction"]);

      script.push("Go on.");
      await c.responses.create({
        model,
        input: [history[0]!, ...(r.output as OpenAI.Responses.ResponseInputItem[]), { role: "user", content: "Next?" }],
        store: false,
      });
      expect(textsOf(up())).toEqual(["user: List the files.", `user: ${SUMMARY_PREFIX}TRIGGER-SUMMARY: two files, main.go and go.mod.`, "user: Next?"]);
    });

    it("stored, continued by previous_response_id: the chain resumes from the compaction item", async () => {
      const c = client();
      script.push("main.go and go.mod.");
      const t1 = await c.responses.create({ model, input: "List the files." });
      script.push("TRIGGER-SUMMARY: main.go, go.mod.");
      const trigger = { type: "compaction_trigger" } as unknown as OpenAI.Responses.ResponseInputItem;
      const body = { model, previous_response_id: t1.id, input: [trigger] };
      const t2 = stream ? await c.responses.stream(body).finalResponse() : await c.responses.create(body);
      expect(t2.output.map((i) => i.type)).toEqual(["compaction"]);
      script.push("Next.");
      await c.responses.create({ model, previous_response_id: t2.id, input: "And now?" });
      expect(textsOf(up())).toEqual(["user: List the files.", `user: ${SUMMARY_PREFIX}TRIGGER-SUMMARY: main.go, go.mod.`, "user: And now?"]);
    });
  });
}

describe("compaction on a native Responses backend", () => {
  it("the endpoint is forwarded; its compaction item passes through on the next turn", async () => {
    const c = client();
    const compacted = await c.responses.compact({ model: "on-native", input: "hello" });
    expect(compacted).toEqual(nativeCompaction);
    const req = nativeUp.requests.at(-1)!;
    expect(req.url).toBe("/v1/responses/compact");
    expect(req.json).toMatchObject({ model: "gpt-up", input: "hello" });

    await c.responses.create({ model: "on-native", input: [...(compacted.output as OpenAI.Responses.ResponseInputItem[]), { role: "user", content: "next" }] });
    expect((nativeUp.requests.at(-1)!.json!.input as unknown[])[1]).toEqual({ id: "cmp_item_n1", type: "compaction", encrypted_content: "gAAAAnative-opaque" });
  });

  it("an empty compact request is a 400 in OpenAI's shape", async () => {
    const err = await client()
      .responses.compact({ model: "on-chat" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("input");
  });
});
