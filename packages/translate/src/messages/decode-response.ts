// Anthropic `message` (non-streaming answer from an Anthropic backend) → hub response.

import type { AssistantPart, Choice, LlmResponse, TextPart, TranslateContext, Translated, TranslationWarning } from "../ir.js";
import { TranslateError } from "../codec.js";
import { isRecord } from "../shared/guards.js";
import { upstreamFields as f } from "../shared/validate.js";
import { decodeMessagesUsage } from "./usage.js";
import { mapMessagesStopReason } from "./finish-reason.js";
import { unansweredSearchWarning, webSearchCallOf, webSearchQueryOf } from "./web-search.js";

/**
 * Anthropic messages carry no timestamp: `created` comes from `ctx` when given, else 0.
 * A web search (`server_tool_use` named web_search, answered by its `web_search_tool_result`) becomes a
 * `web_search_call` part at the result's place; other server-tool blocks are dropped with a warning.
 */
export function decodeMessagesResponse(body: unknown, ctx?: TranslateContext): Translated<LlmResponse> {
  if (!isRecord(body)) throw new TranslateError("The Anthropic response is not a JSON object", { status: 502 });
  const warnings: TranslationWarning[] = [];
  const content: AssistantPart[] = [];
  const searches = new Map<string, { query: string | undefined; path: string }>();

  f.array(body.content, "content").forEach((item, i) => {
    const path = `content[${i}]`;
    const block = f.record(item, path);
    const type = f.string(block.type, `${path}.type`);
    switch (type) {
      case "text": {
        const part: TextPart = { type: "text", text: f.string(block.text, `${path}.text`) };
        if (Array.isArray(block.citations) && block.citations.length > 0) part.annotations = block.citations;
        content.push(part);
        break;
      }
      case "thinking": {
        const signature = f.optionalString(block.signature, `${path}.signature`);
        const text = f.string(block.thinking, `${path}.thinking`);
        content.push(signature === undefined || signature === "" ? { type: "reasoning", text } : { type: "reasoning", text, signature });
        break;
      }
      case "redacted_thinking":
        content.push({ type: "reasoning", text: "", redactedData: f.string(block.data, `${path}.data`) });
        break;
      case "tool_use": {
        const input = block.input === undefined ? {} : f.record(block.input, `${path}.input`);
        content.push({
          type: "tool_call",
          id: f.string(block.id, `${path}.id`),
          name: f.string(block.name, `${path}.name`),
          arguments: JSON.stringify(input),
        });
        break;
      }
      case "server_tool_use":
        if (block.name === "web_search" && typeof block.id === "string") {
          searches.set(block.id, { query: webSearchQueryOf(block.input), path });
          break;
        }
        warnings.push({ code: "content_dropped", path, message: "`server_tool_use` blocks have no equivalent in the hub and were dropped" });
        break;
      case "web_search_tool_result": {
        const id = String(block.tool_use_id);
        content.push(webSearchCallOf(block, searches.get(id)?.query));
        searches.delete(id);
        break;
      }
      default:
        warnings.push({ code: "content_dropped", path, message: `\`${type}\` blocks have no equivalent in the hub and were dropped` });
    }
  });

  for (const { path } of searches.values()) warnings.push(unansweredSearchWarning(path));

  const rawStop = f.optionalString(body.stop_reason, "stop_reason");
  const choice: Choice = { index: 0, content, finishReason: mapMessagesStopReason(rawStop) };
  if (rawStop !== undefined) choice.rawFinishReason = rawStop;
  const stopSequence = f.optionalString(body.stop_sequence, "stop_sequence");
  if (stopSequence !== undefined) choice.stopSequence = stopSequence;

  const response: LlmResponse = {
    id: f.string(body.id, "id"),
    model: f.string(body.model, "model"),
    created: ctx?.now() ?? 0,
    choices: [choice],
  };
  if (isRecord(body.usage)) {
    response.usage = decodeMessagesUsage(body.usage);
    const tier = body.usage.service_tier;
    if (typeof tier === "string") response.serviceTier = tier;
  }
  return { value: response, warnings };
}
