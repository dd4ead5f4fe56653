// Intake of JSON request bodies. Every body gets one structural scan of its bytes (nesting bound,
// grammar, top-level keys). A body that only has to be relayed to a same-format upstream (no
// parameter, thinking block, trace capture or mock backend needs its content) is then never decoded
// nor parsed: the route gets its top-level scalars and the bytes go on with the model name spliced.
// Every other body is parsed and validated in full, as before.

import { isUtf8 } from "node:buffer";
import type { FastifyRequest, FastifySchemaCompiler } from "fastify";
import ajvCompilers, { type ValidatorFactory } from "@fastify/ajv-compiler";
import { type JsonScan, type JsonShape, codecs, compileShape, jsonDeeperThan, scanJson } from "@yallmproxy/translate";
import { Errors, ProxyError } from "../errors.js";
import type { ModelRoute } from "../config/load-config.js";
import { routesForModel, stripProviderPrefix } from "../model-chain.js";
import type { ProxyRuntime } from "../runtime.js";
import { type BodyBytes, piecewise } from "../upstream/body-bytes.js";
import { SKELETON_MIN_STRING, SKELETON_ROUTES, opaqueTextAt, skeletonBody } from "./skeleton-intake.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set when the body was scanned but not parsed: `body` holds only its top-level scalars. */
    relay?: RelayedBody;
  }
}

export interface RelayedBody {
  raw: Buffer;
  /** Byte span of the top-level `model` value, quotes included. */
  modelSpan: [number, number];
}

/** Routes whose bodies may be relayed unparsed, with their wire format. */
const RELAY_ROUTES: Record<string, "chat" | "messages"> = { "/v1/chat/completions": "chat", "/v1/messages": "messages" };
/** Top-level strings longer than this are not decoded for the route (a long `system` prompt). */
const MAX_DECODED_SCALAR = 4096;

/** The body for the route: parsed, or a relay stub; a ProxyError when it is not JSON or nests too deep. */
export function intakeJson(req: FastifyRequest, raw: Buffer, runtime: ProxyRuntime, maxDepth: number): unknown {
  const url = req.routeOptions.url ?? "";
  const format = RELAY_ROUTES[url];
  const shape = format && req.routeOptions.config.clientFormat === format ? shapeOf(req.routeOptions.schema?.body) : undefined;
  const translated = SKELETON_ROUTES[url];
  const long =
    translated && req.routeOptions.config.clientFormat === translated ? { longStringBytes: SKELETON_MIN_STRING, longStringAt: opaqueTextAt(translated) } : {};
  const scan = scanJson(raw, { maxDepth, ...(shape ? { shape } : {}), ...long });
  if (!scan.ok) {
    if (scan.reason === "too_deep") return Errors.jsonTooDeep(maxDepth);
    // JSON.parse words the error, and has the last word on what is JSON.
    const parsed = parseText(raw);
    if (!(parsed instanceof ProxyError) && jsonDeeperThan(raw.toString("utf8"), maxDepth)) return Errors.jsonTooDeep(maxDepth);
    return parsed;
  }
  const stub = format && scan.fits ? relayStub(req, scan, raw, runtime, format) : undefined;
  return stub ?? (translated ? skeletonBody(req, scan, raw, runtime, translated) : undefined) ?? parseText(raw);
}

const shapes = new WeakMap<object, JsonShape | null>();

/** The route schema's checks a scan can make; null when it has others (its bodies are then parsed). */
function shapeOf(schema: unknown): JsonShape | undefined {
  if (typeof schema !== "object" || schema === null) return undefined;
  let shape = shapes.get(schema);
  if (shape === undefined) {
    shape = compileShape(schema) ?? null;
    shapes.set(schema, shape);
  }
  return shape ?? undefined;
}

function parseText(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString("utf8")) as unknown;
  } catch (err) {
    return Errors.invalidJson((err as Error).message);
  }
}

/** Whether a same-format route sends the client's bytes as they are, but for the model name. */
export function relaysUnparsed(route: ModelRoute, format: "chat" | "messages" | "responses"): boolean {
  // A route with response modules answers through the hub, which needs the client's request decoded.
  return route.apiType !== "mock" && route.parameters.length === 0 && !(codecs[format].takesRouteThinking && route.thinking) && !route.responseModules;
}

/** The top-level scalars of a body that fits its route's schema, when nothing needs the rest. */
function relayStub(
  req: FastifyRequest,
  scan: Extract<JsonScan, { ok: true }>,
  raw: Buffer,
  runtime: ProxyRuntime,
  format: "chat" | "messages",
): Record<string, unknown> | undefined {
  if (scan.kind !== "object") return undefined;
  const stub: Record<string, unknown> = {};
  const top = scan.top;
  let modelSpan: [number, number] | undefined;
  for (let k = 0; k < top.length; k++) {
    const e = top[k]!;
    // JSON.parse keeps the last of duplicated keys and decodes escaped ones: the parse decides those.
    if (e.escaped) return undefined;
    for (let j = 0; j < k; j++) if (top[j]!.key === e.key) return undefined;
    if (e.kind === "object" || e.kind === "array" || e.end - e.start > MAX_DECODED_SCALAR) continue;
    stub[e.key] = scalarAt(raw, e.kind, e.start, e.end);
    if (e.key === "model") modelSpan = [e.start, e.end];
  }
  const model = stub.model;
  if (typeof model !== "string" || !modelSpan) return undefined;
  // Invalid UTF-8 is replaced when the body is decoded; the parsed body then says what was meant.
  if (!isUtf8(raw)) return undefined;
  const name = stripProviderPrefix(model);
  if (runtime.ops.captureFor(name) === "full") return undefined;
  const { config, backends } = runtime.generation;
  const routes = routesForModel(config, name);
  if (routes.length === 0) return undefined;
  for (const route of routes) {
    if (backends.get(route.id)?.format !== format || !relaysUnparsed(route, format)) return undefined;
  }
  req.relay = { raw, modelSpan };
  stubs.add(stub);
  return stub;
}

/** The scalar the scan found at [start, end): a string without escapes is sliced, others parsed. */
function scalarAt(raw: Buffer, kind: string, start: number, end: number): unknown {
  if (kind === "true") return true;
  if (kind === "false") return false;
  if (kind === "null") return null;
  if (kind === "number") return Number(raw.toString("latin1", start, end));
  for (let i = start + 1; i < end - 1; i++) if (raw[i] === BACKSLASH) return JSON.parse(raw.toString("utf8", start, end));
  return raw.toString("utf8", start + 1, end - 1);
}

const BACKSLASH = 0x5c;

/**
 * Parses a relayed body after all (a backend it cannot be relayed to came up, as after a config
 * reload) into the object the route holds, and validates it against the route's schema.
 */
export function materializeRelayed(
  req: { relay?: RelayedBody | undefined; getValidationFunction?: FastifyRequest["getValidationFunction"] },
  stub: Record<string, unknown>,
): ProxyError | undefined {
  const relay = req.relay;
  if (!relay) return undefined;
  req.relay = undefined;
  const parsed = parseText(relay.raw);
  if (parsed instanceof ProxyError) return parsed;
  const validate = req.getValidationFunction?.("body");
  if (validate && !validate(parsed)) {
    // Worded as the error handler words a validation error (`messages[0].role`).
    const first = validate.errors?.[0];
    const missing = first?.keyword === "required" ? (first.params as { missingProperty?: string }).missingProperty : undefined;
    const segs = (first?.instancePath ?? "").split("/").filter(Boolean);
    if (missing) segs.push(missing);
    const param = segs.reduce((out, seg) => (/^\d+$/.test(seg) ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg), "") || "body";
    return Errors.invalidField(param, missing ? `Missing required parameter: '${param}'.` : `Invalid value for '${param}': ${first?.message ?? "invalid"}.`);
  }
  stubs.delete(stub);
  for (const key of Object.keys(stub)) delete stub[key];
  Object.assign(stub, parsed);
  return undefined;
}

/** The relayed bytes with the upstream's model name in place of the client's. */
export function relayedBytes(relay: RelayedBody, clientModel: unknown, upstreamModel: string): BodyBytes {
  if (clientModel === upstreamModel) return relay.raw;
  const [start, end] = relay.modelSpan;
  return piecewise([relay.raw.subarray(0, start), Buffer.from(JSON.stringify(upstreamModel)), relay.raw.subarray(end)]);
}

/** Relay stubs still to be judged by their route's validator: the scan has checked them already. */
const stubs = new WeakSet<object>();

/**
 * Fastify's validator factory, but on the routes that relay a relay stub passes: it holds only the
 * top-level scalars, and the scan checked the body against the route's schema.
 */
export const relayAwareValidators: ValidatorFactory = (externalSchemas, options) => {
  // The package's types name the compiler's argument a schema; Fastify passes the route's definition.
  const compile = ajvCompilers()(externalSchemas, options) as unknown as FastifySchemaCompiler<unknown>;
  const build: FastifySchemaCompiler<unknown> = (def) => {
    const validate = compile(def);
    if (def.httpPart !== "body" || !RELAY_ROUTES[def.url]) return validate;
    const admitting: ReturnType<FastifySchemaCompiler<unknown>> = (data: unknown) =>
      (typeof data === "object" && data !== null && stubs.has(data)) || validate(data);
    // Fastify hands the request to validators that have a schema environment (Ajv's own functions).
    Object.defineProperty(admitting, "schemaEnv", { value: (validate as { schemaEnv?: unknown }).schemaEnv });
    return Object.defineProperty(admitting, "errors", { get: () => validate.errors });
  };
  return build as unknown as ReturnType<ValidatorFactory>;
};
