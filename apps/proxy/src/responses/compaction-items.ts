// Compaction items the proxy made, read back: `encrypted_content` names a stored record (see
// compaction.ts), and the upstream gets that record's summary as a user message in the item's place.

import type { StoredResponse } from "@yallmproxy/db";
import type { Caller } from "../auth.js";
import { Errors } from "../errors.js";
import type { ProxyRuntime } from "../runtime.js";
import { ownedResponse } from "./chain.js";

/** What every `encrypted_content` the proxy makes starts with; the record id follows. */
export const CONTENT_PREFIX = "yallmproxy.compaction.v1.";
const RECORD_ID = /^cmp_[0-9a-f]{24}$/;

/** What the upstream gets in place of a compaction item: a user message starting with this. */
export const SUMMARY_PREFIX = "Summary of the earlier part of this conversation, which was compacted:\n\n";

function isCompaction(item: unknown): item is Record<string, unknown> {
  return typeof item === "object" && item !== null && !Array.isArray(item) && "type" in item && item.type === "compaction";
}

const badCompaction = (message: string) => Errors.invalidCompaction(message);

/** The record id a proxy-made `encrypted_content` names; undefined for content made elsewhere. */
function recordIdOf(content: unknown): string | undefined {
  if (typeof content !== "string" || !content.startsWith(CONTENT_PREFIX)) return undefined;
  return content.slice(CONTENT_PREFIX.length);
}

/**
 * `input` with every proxy-made compaction item replaced by its summary. Compaction items made
 * elsewhere pass to a native Responses backend (`native`), which may know them; any other backend
 * cannot read them, and neither can the proxy: a 400.
 */
export async function expandCompactions(runtime: ProxyRuntime, input: unknown, caller: Caller, native: boolean): Promise<unknown> {
  if (!Array.isArray(input) || !input.some(isCompaction)) return input;
  const out: unknown[] = [];
  for (const item of input) {
    if (!isCompaction(item)) {
      out.push(item);
      continue;
    }
    const recordId = recordIdOf(item.encrypted_content);
    if (recordId === undefined) {
      if (native) out.push(item);
      else throw badCompaction("The compaction item's encrypted_content was not made by this proxy, and this model's backend cannot read it.");
      continue;
    }
    const found = await compactionOf(runtime, recordId, caller);
    // A compaction run on create stands for everything before it.
    if (found.request.compaction === "window") out.splice(0, out.length, ...found.inputItems);
    out.push(summaryMessage(found.summary));
  }
  return out;
}

async function compactionOf(runtime: ProxyRuntime, recordId: string, caller: Caller): Promise<StoredResponse & { summary: string }> {
  // Another key's compaction, an expired one and a made-up one all answer the same.
  const unknown = badCompaction("The compaction item's encrypted_content is not valid: it is unknown, expired, or made for another API key.");
  if (!RECORD_ID.test(recordId)) throw unknown;
  const found = await ownedResponse(runtime.responses, recordId, caller);
  if (typeof found === "string" || found.response.object !== "response.compaction") throw unknown;
  const summary = textOf(found.outputItems);
  if (summary === undefined) throw unknown;
  return { ...found, summary };
}

export function summaryMessage(summary: string): Record<string, unknown> {
  return { type: "message", role: "user", content: [{ type: "input_text", text: SUMMARY_PREFIX + summary }] };
}

/** The text of the assistant messages among `items`, joined; undefined when there is none. */
export function textOf(items: unknown): string | undefined {
  if (!Array.isArray(items)) return undefined;
  const texts: string[] = [];
  for (const item of items) {
    if (!isRecord(item) || item.type !== "message" || !Array.isArray(item.content)) continue;
    for (const part of item.content) if (isRecord(part) && part.type === "output_text" && typeof part.text === "string") texts.push(part.text);
  }
  return texts.length === 0 ? undefined : texts.join("");
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
