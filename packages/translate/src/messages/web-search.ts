// Anthropic's hosted web search: the hub's web search tool as `web_search_20250305`, and the search an
// answer reports (`server_tool_use` named web_search, then its `web_search_tool_result`) as a hub part.

import type { TranslationWarning, WebSearchCallPart, WebSearchTool } from "../ir.js";
import { isRecord, type JsonObject } from "../shared/guards.js";

/** The server tool, with the client's domains and location; `max_uses` from the request's `max_tool_calls`. */
export function encodeMessagesWebSearchTool(tool: WebSearchTool, maxToolCalls: number | undefined, warnings: TranslationWarning[]): JsonObject {
  const out: JsonObject = { type: "web_search_20250305", name: "web_search" };
  if (tool.allowedDomains) out.allowed_domains = tool.allowedDomains;
  if (tool.userLocation) out.user_location = { type: "approximate", ...tool.userLocation };
  if (maxToolCalls !== undefined) out.max_uses = maxToolCalls;
  for (const field of tool.unmapped) {
    warnings.push({
      code: "field_dropped",
      path: `${tool.path}.${field}`,
      message: `web_search \`${field}\` has no equivalent in Anthropic's web search tool and was dropped`,
    });
  }
  return out;
}

/** A search begun but not answered in this message (the turn paused): it has no result to show. */
export function unansweredSearchWarning(path: string): TranslationWarning {
  return { code: "content_dropped", path, message: "a web search with no result in this answer (the turn paused) was dropped" };
}

/** The query of a web_search `server_tool_use` input, when it has one. */
export function webSearchQueryOf(input: unknown): string | undefined {
  return isRecord(input) && typeof input.query === "string" ? input.query : undefined;
}

/**
 * A `web_search_tool_result` block as a finished search: its results' pages as sources, or the error
 * it reports. `query` is the input of the `server_tool_use` it answers.
 */
export function webSearchCallOf(result: JsonObject, query: string | undefined): WebSearchCallPart {
  const id = typeof result.tool_use_id === "string" ? result.tool_use_id : "srvtoolu_unknown";
  const part: WebSearchCallPart = { type: "web_search_call", id, status: "completed" };
  if (query !== undefined) part.query = query;
  const content = result.content;
  if (Array.isArray(content)) {
    part.sources = content.filter(isRecord).flatMap((r) => {
      if (r.type !== "web_search_result" || typeof r.url !== "string") return [];
      return [typeof r.title === "string" ? { url: r.url, title: r.title } : { url: r.url }];
    });
  } else {
    part.status = "failed";
    if (isRecord(content) && typeof content.error_code === "string") part.errorCode = content.error_code;
  }
  return part;
}
