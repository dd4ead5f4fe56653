// Responses' hosted `web_search`: the client's tool read into the hub (a backend that hosts a search
// of its own, Anthropic, runs it), and a search the backend ran written as a `web_search_call` item.

import type { TranslationWarning, WebSearchCallPart, WebSearchTool } from "../ir.js";
import { isRecord, type JsonObject } from "../shared/guards.js";
import { requestFields as f } from "../shared/validate.js";
import type { Emit } from "./stream-items.js";

const WEB_SEARCH_TYPES = new Set(["web_search", "web_search_preview", "web_search_2025_08_26", "web_search_preview_2025_03_11"]);

export function isWebSearchTool(raw: unknown): boolean {
  return isRecord(raw) && typeof raw["type"] === "string" && WEB_SEARCH_TYPES.has(raw["type"]);
}

const LOCATION_FIELDS = ["city", "region", "country", "timezone"] as const;

function decodeLocation(value: unknown, path: string): WebSearchTool["userLocation"] {
  const raw = f.optionalRecord(value, path);
  if (!raw) return undefined;
  const location: NonNullable<WebSearchTool["userLocation"]> = {};
  for (const key of LOCATION_FIELDS) {
    const v = f.optionalString(raw[key], `${path}.${key}`);
    if (v !== undefined) location[key] = v;
  }
  return Object.keys(location).length > 0 ? location : undefined;
}

function decodeOne(tool: JsonObject, path: string): WebSearchTool {
  const out: WebSearchTool = { raw: tool, path, unmapped: [] };
  for (const [key, value] of Object.entries(tool)) {
    if (key === "type" || value === null || value === undefined) continue;
    if (key === "user_location") {
      const location = decodeLocation(value, `${path}.user_location`);
      if (location) out.userLocation = location;
    } else if (key === "filters") {
      const filters = f.record(value, `${path}.filters`);
      const domains = f.optionalStringArray(filters["allowed_domains"], `${path}.filters.allowed_domains`);
      if (domains && domains.length > 0) out.allowedDomains = domains;
      for (const inner of Object.keys(filters)) if (inner !== "allowed_domains") out.unmapped.push(`filters.${inner}`);
    } else out.unmapped.push(key);
  }
  return out;
}

/** The first web search tool of `tools`; another one is dropped with a warning (a backend hosts one search). */
export function decodeResponsesWebSearch(value: unknown, warnings: TranslationWarning[]): WebSearchTool | undefined {
  if (!Array.isArray(value)) return undefined;
  let found: WebSearchTool | undefined;
  value.forEach((raw, i) => {
    if (!isWebSearchTool(raw)) return;
    const path = `tools[${i}]`;
    if (found) warnings.push({ code: "tool_dropped", path, message: "only one web search tool is kept; this one was dropped" });
    else found = decodeOne(raw as JsonObject, path);
  });
  return found;
}

/** The warning for a backend that has no hosted search of its own. */
export function webSearchDroppedWarning(tool: WebSearchTool): TranslationWarning {
  return {
    code: "tool_dropped",
    path: tool.path,
    message: `hosted tool '${String(tool.raw["type"])}' runs on OpenAI's servers, not on this backend, and was dropped`,
  };
}

/** A `ws_` item id made from the backend's search id, the same every time. */
export function webSearchItemId(part: WebSearchCallPart): string {
  return part.id.startsWith("ws_") ? part.id : `ws_${part.id.replace(/^srvtoolu_/, "")}`;
}

/** The `web_search_call` item: what was searched for, and the pages found (`action.sources`). */
export function renderWebSearchCall(id: string, part: WebSearchCallPart, status: "in_progress" | WebSearchCallPart["status"] = part.status): JsonObject {
  const action: JsonObject = { type: "search" };
  if (status !== "in_progress") {
    if (part.query !== undefined) action["query"] = part.query;
    if (part.sources && part.sources.length > 0) action["sources"] = part.sources.map((s) => ({ type: "url", url: s.url }));
  }
  return { id, type: "web_search_call", status, action };
}

/** A finished search streamed as OpenAI streams one: added, in progress, searching, completed, done. */
export function webSearchCallEvents(emit: Emit, id: string, part: WebSearchCallPart, outputIndex: number): string {
  const at = { item_id: id, output_index: outputIndex };
  let sse = emit("response.output_item.added", { output_index: outputIndex, item: renderWebSearchCall(id, part, "in_progress") });
  sse += emit("response.web_search_call.in_progress", at) + emit("response.web_search_call.searching", at);
  if (part.status === "completed") sse += emit("response.web_search_call.completed", at);
  return sse + emit("response.output_item.done", { output_index: outputIndex, item: renderWebSearchCall(id, part) });
}
