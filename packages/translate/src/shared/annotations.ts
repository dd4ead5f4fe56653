// Text annotations are kept on the hub as the source sent them. Chat nests a url_citation
// (`{type, url_citation: {...}}`), Responses flattens it (`{type, url, title, start_index, end_index}`);
// these converters bring either shape to the target one and report what the target cannot hold.
// Anthropic's web search citation names a page for its whole text block: given the block's length,
// it becomes a url_citation spanning that text.

import { isRecord, type JsonObject } from "./guards.js";

const RESPONSES_ANNOTATION_TYPES = new Set(["url_citation", "file_citation", "container_file_citation", "file_path"]);

/**
 * Flat url_citation fields, from either shape or from an Anthropic web search citation of a text
 * `length` long; `undefined` when the annotation is none of these.
 */
function urlCitationFields(a: JsonObject, length: number | undefined): JsonObject | undefined {
  if (a["type"] === "web_search_result_location") {
    if (length === undefined || typeof a["url"] !== "string") return undefined;
    return { url: a["url"], title: typeof a["title"] === "string" ? a["title"] : "", start_index: 0, end_index: length };
  }
  if (a["type"] !== "url_citation") return undefined;
  const nested = a["url_citation"];
  if (isRecord(nested)) return nested;
  const { type: _type, ...flat } = a;
  return flat;
}

/**
 * Annotations in Responses `output_text` shape plus the ones that had to be dropped. `length` is
 * the annotated text's, when known (a web search citation needs it).
 */
export function toResponsesAnnotations(
  annotations: readonly unknown[] | undefined,
  offset = 0,
  length?: number,
): {
  value: JsonObject[];
  dropped: number;
} {
  const value: JsonObject[] = [];
  let dropped = 0;
  for (const a of annotations ?? []) {
    const url = isRecord(a) ? urlCitationFields(a, length) : undefined;
    if (url) value.push(shiftIndices({ type: "url_citation", ...url }, offset));
    else if (isRecord(a) && typeof a["type"] === "string" && RESPONSES_ANNOTATION_TYPES.has(a["type"])) value.push(a);
    else dropped++;
  }
  return { value, dropped };
}

/**
 * Annotations in Chat message shape (only url_citation exists there). `offset` shifts indices when
 * texts are joined; `length` is the annotated text's, as for Responses.
 */
export function toChatAnnotations(
  annotations: readonly unknown[] | undefined,
  offset = 0,
  length?: number,
): {
  value: JsonObject[];
  dropped: number;
} {
  const value: JsonObject[] = [];
  let dropped = 0;
  for (const a of annotations ?? []) {
    const url = isRecord(a) ? urlCitationFields(a, length) : undefined;
    if (!url) {
      dropped++;
      continue;
    }
    value.push({ type: "url_citation", url_citation: shiftIndices(url, offset) });
  }
  return { value, dropped };
}

function shiftIndices(a: JsonObject, offset: number): JsonObject {
  if (offset === 0) return a;
  const out = { ...a };
  for (const key of ["start_index", "end_index"]) {
    const v = out[key];
    if (typeof v === "number") out[key] = v + offset;
  }
  return out;
}
