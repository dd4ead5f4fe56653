import Fastify, { type FastifyRequest } from "fastify";
import { compileShape, scanJson } from "@yallmproxy/translate";
import { beforeAll, describe, expect, it } from "vitest";
import { agentBody } from "../../../../bench/agent-body.mjs";
import { ProxyError } from "../errors.js";
import { chatCompletionsBodySchema } from "../routes/chat-completions.js";
import { messagesBodySchema } from "../routes/messages.js";
import { materializeRelayed } from "./relay-intake.js";

type Validate = ((data: unknown) => boolean) & { errors?: unknown };

/** Fastify's own validator for a body schema, with the proxy's Ajv options. */
async function validatorOf(schema: object): Promise<Validate> {
  const app = Fastify({ ajv: { customOptions: { allowUnionTypes: true, coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } } });
  let found: Validate | undefined;
  app.post("/", { schema: { body: schema }, attachValidation: true }, async (request) => {
    found = request.getValidationFunction("body") as Validate;
    return {};
  });
  await app.inject({ method: "POST", url: "/", payload: {} });
  await app.close();
  return found!;
}

/** Deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ODD: unknown[] = ["", "x", "user", "wizard", 0, 1, 1.5, -1, 3, 1000, true, false, null, [], [1], ["x"], [{}], {}, { role: "user" }, "u\u0073er"];

/** Sets a random field (top level, in a message or in a content block) to a random odd value. */
function mutate(body: Record<string, unknown>, next: () => number): Record<string, unknown> {
  const out = structuredClone(body) as Record<string, unknown> & { messages: Array<Record<string, unknown>> };
  const value = ODD[Math.floor(next() * ODD.length)];
  const keys = Object.keys(out);
  const where = next();
  if (where < 0.4) out[keys[Math.floor(next() * keys.length)]!] = value;
  else if (where < 0.8 && Array.isArray(out.messages) && out.messages.length > 0) {
    const at = Math.floor(next() * out.messages.length);
    const msg = out.messages[at];
    if (typeof msg !== "object" || msg === null) out.messages[at] = value as never;
    else if (Array.isArray(msg.content) && msg.content.length > 0 && next() < 0.3) msg.content[Math.floor(next() * msg.content.length)] = value;
    else {
      const mk = ["role", "content", "tool_calls", "tool_call_id", "name"];
      msg[mk[Math.floor(next() * mk.length)]!] = value;
    }
  } else if (where < 0.9) delete out[keys[Math.floor(next() * keys.length)]!];
  else out.messages = value as never;
  return out;
}

describe("the scan's schema checks", () => {
  for (const [format, schema] of [
    ["chat", chatCompletionsBodySchema],
    ["messages", messagesBodySchema],
  ] as const) {
    const shape = compileShape(schema);
    let validate: Validate;
    beforeAll(async () => {
      validate = await validatorOf(schema);
    });

    it(`${format}: compiles from the route's schema and passes the agent bodies`, () => {
      expect(shape).toBeDefined();
      for (const size of [2_000, 100_000]) {
        const text = JSON.stringify(agentBody(format, size));
        expect(validate(JSON.parse(text))).toBe(true);
        expect(scanJson(Buffer.from(text), { maxDepth: 128, shape: shape! })).toMatchObject({ ok: true, fits: true });
      }
    });

    it(`${format}: never passes a body the route's schema refuses (thousands of mutated bodies)`, () => {
      const next = rng(format === "chat" ? 11 : 12);
      const base = agentBody(format, 3_000);
      let refused = 0;
      let fitted = 0;
      for (let round = 0; round < 4000; round++) {
        let body = mutate(base, next);
        if (next() < 0.5) body = mutate(body, next);
        const text = JSON.stringify(body);
        const fits = (scanJson(Buffer.from(text), { maxDepth: 128, shape: shape! }) as { fits: boolean }).fits;
        const valid = validate(JSON.parse(text));
        if (fits) expect({ text, valid }).toEqual({ text, valid: true });
        if (!valid) refused++;
        if (fits) fitted++;
      }
      // Both outcomes were exercised.
      expect(refused).toBeGreaterThan(1000);
      expect(fitted).toBeGreaterThan(500);
    });
  }

  it("leaves escaped keys and enum values written with escapes to the full validation", () => {
    const shape = compileShape(chatCompletionsBodySchema)!;
    const fits = (text: string) => (scanJson(Buffer.from(text), { maxDepth: 128, shape }) as { fits: boolean }).fits;
    expect(fits('{"model":"m","messages":[{"role":"user","content":"hi"}]}')).toBe(true);
    expect(fits('{"model":"m","messages":[{"role":"us\\u0065r","content":"hi"}]}')).toBe(false);
    expect(fits('{"model":"m","messages":[{"r\\u006fle":"user","content":"hi"}]}')).toBe(false);
    expect(fits('{"model":"","messages":[{"role":"user"}]}')).toBe(false);
    expect(fits('{"model":"m","messages":[]}')).toBe(false);
    expect(fits('{"model":"m","messages":[{"role":"user"}],"n":1.0,"temperature":2}')).toBe(true);
    expect(fits('{"model":"m","messages":[{"role":"user"}],"n":1.5}')).toBe(false);
    expect(compileShape({ type: "object", additionalProperties: false })).toBeUndefined();
  });
});

describe("materializeRelayed", () => {
  let validate: Validate;
  beforeAll(async () => {
    validate = await validatorOf(chatCompletionsBodySchema);
  });
  const requestFor = (text: string) => {
    const raw = Buffer.from(text);
    return { relay: { raw, modelSpan: [9, 12] }, getValidationFunction: () => validate } as unknown as FastifyRequest;
  };

  it("parses the body into the object the route holds", () => {
    const req = requestFor('{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}');
    const stub: Record<string, unknown> = { model: "m", stream: true };
    expect(materializeRelayed(req, stub)).toBeUndefined();
    expect(stub).toEqual({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true });
    expect(req.relay).toBeUndefined();
  });

  it("answers what the route's validation would have refused", () => {
    const bad = materializeRelayed(requestFor('{"model":"m","messages":[{"role":"wizard"}]}'), {});
    expect(bad).toBeInstanceOf(ProxyError);
    expect(bad).toMatchObject({ status: 400, param: "messages[0].role" });
    expect(materializeRelayed(requestFor('{"model":"m","messages":[{"content":"hi"}]}'), {})).toMatchObject({ status: 400, param: "messages[0].role" });
    expect(materializeRelayed(requestFor('{"model":"m","messages":[{"content":"\t"}]}'), {})).toMatchObject({ status: 400, code: "invalid_json" });
  });
});
