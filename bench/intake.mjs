// Intake and body work per agent-sized request, without I/O: what the proxy did before (decode the
// bytes, bound the depth, JSON.parse, the route's schema, the byte splice; or parse, decode, encode,
// JSON.stringify and bytes when translating) against what it does now (one scan, then the relay; or
// the skeleton). Best of many runs, so other load on the machine shows less.
// Run after a build: `npm run build -w @yallmproxy/translate -w @yallmproxy/proxy && node bench/intake.mjs`.

import { isUtf8 } from "node:buffer";
import Fastify from "fastify";
import { decodeMessagesRequest, decodeResponsesRequest, encodeChatRequest, jsonDeeperThan, scanJson } from "../packages/translate/dist/index.js";
import { passthroughRaw } from "../apps/proxy/dist/pipeline/apply-parameters.js";
import { intakeJson, relayedBytes } from "../apps/proxy/dist/pipeline/relay-intake.js";
import { SKELETON_MIN_STRING, opaqueTextAt, parseSkeleton, restoredBytes } from "../apps/proxy/dist/pipeline/skeleton-intake.js";
import { chatCompletionsBodySchema } from "../apps/proxy/dist/routes/chat-completions.js";
import { messagesBodySchema } from "../apps/proxy/dist/routes/messages.js";
import { agentBody } from "./agent-body.mjs";

function best(fn, reps) {
  for (let i = 0; i < 20; i++) fn();
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

/** Fastify's own validator for a body schema, with the proxy's Ajv options. */
async function validatorOf(schema) {
  const app = Fastify({ ajv: { customOptions: { allowUnionTypes: true, coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } } });
  let found;
  app.post("/", { schema: { body: schema }, attachValidation: true }, async (request) => {
    found = request.getValidationFunction("body");
    return {};
  });
  await app.inject({ method: "POST", url: "/", payload: {} });
  await app.close();
  return found;
}

const route = { id: "r", name: "r", apiType: "openai", parameters: [], thinking: undefined, upstreamModel: "bench-model" };
const runtime = {
  ops: { captureFor: () => "metadata" },
  generation: {
    config: { models: new Map([["bench", route]]), groups: new Map([["bench", { deployments: [route] }]]), fallbacks: new Map() },
    backends: new Map([["r", { format: "chat" }]]),
  },
};
const sizes = [
  [100 * 1024, "100 KB"],
  [1 << 20, "1 MB"],
];
const ms = (v) => `${v.toFixed(3)} ms`;

for (const [format, url, schema] of [
  ["chat", "/v1/chat/completions", chatCompletionsBodySchema],
  ["messages", "/v1/messages", messagesBodySchema],
]) {
  const validate = await validatorOf(schema);
  runtime.generation.backends.get("r").format = format;
  for (const [size, label] of sizes) {
    const raw = Buffer.from(JSON.stringify(agentBody(format, size)));
    const reps = size > 200_000 ? 200 : 1000;
    const before = best(() => {
      const text = raw.toString("utf8");
      if (jsonDeeperThan(text, 128)) throw new Error("deep");
      const body = JSON.parse(text);
      if (!validate(body) || !isUtf8(raw)) throw new Error("invalid");
      return passthroughRaw(raw, body, route, format === "chat");
    }, reps);
    const now = best(() => {
      const req = { routeOptions: { url, config: { clientFormat: format }, schema: { body: schema } } };
      const stub = intakeJson(req, raw, runtime, 128);
      if (!req.relay) throw new Error("not relayed");
      return relayedBytes(req.relay, stub.model, route.upstreamModel);
    }, reps);
    console.log(`${label} ${format} pass-through: before ${ms(before)}, now ${ms(now)}`);
  }
}

const decode = (format, body) => (format === "messages" ? decodeMessagesRequest(body) : decodeResponsesRequest(body)).value;
const encode = (format, body) => encodeChatRequest(decode(format, body), { model: "bench-model", supportsReasoning: false }).value;
for (const format of ["messages", "responses"]) {
  for (const [size, label] of sizes) {
    const raw = Buffer.from(JSON.stringify(agentBody(format, size)));
    const reps = size > 200_000 ? 150 : 800;
    const before = best(() => {
      const text = raw.toString("utf8");
      if (jsonDeeperThan(text, 128)) throw new Error("deep");
      return Buffer.from(JSON.stringify(encode(format, JSON.parse(text))));
    }, reps);
    const now = best(() => {
      const scan = scanJson(raw, { maxDepth: 128, longStringBytes: SKELETON_MIN_STRING, longStringAt: opaqueTextAt(format) });
      const built = parseSkeleton(raw, scan.longStrings);
      return restoredBytes(built.skeleton, encode(format, built.parsed));
    }, reps);
    console.log(`${label} ${format} → chat: before ${ms(before)}, now ${ms(now)}`);
  }
}
