// Text annotations are kept on the hub as the source sent them. Chat nests a url_citation
// (`{type, url_citation: {...}}`), Responses flattens it (`{type, url, title, start_index, end_index}`);
// these converters bring either shape to the target one and report what the target cannot hold.

import { isRecord, type JsonObject } from "./guards.js";

const RESPONSES_ANNOTATION_TYPES = new Set(["url_citation", "file_citation", "container_file_citation", "file_path"]);

/** Flat url_citation fields, from either shape; `undefined` when the annotation is not a url_citation. */
function urlCitationFields(a: JsonObject): JsonObject | undefined {
  if (a["type"] !== "url_citation") return undefined;
  const nested = a["url_citation"];
  if (isRecord(nested)) return nested;
  const { type: _type, ...flat } = a;
  return flat;
}

/** Annotations in Responses `output_text` shape plus the ones that had to be dropped. */
export function toResponsesAnnotations(
  annotations: readonly unknown[] | undefined,
  offset = 0,
): {
  value: JsonObject[];
  dropped: number;
} {
  const value: JsonObject[] = [];
  let dropped = 0;
  for (const a of annotations ?? []) {
    if (!isRecord(a) || typeof a["type"] !== "string" || !RESPONSES_ANNOTATION_TYPES.has(a["type"])) {
      dropped++;
      continue;
    }
    const url = urlCitationFields(a);
    value.push(url ? shiftIndices({ type: "url_citation", ...url }, offset) : a);
  }
  return { value, dropped };
}

/** Annotations in Chat message shape (only url_citation exists there). `offset` shifts indices when texts are joined. */
export function toChatAnnotations(
  annotations: readonly unknown[] | undefined,
  offset = 0,
): {
  value: JsonObject[];
  dropped: number;
} {
  const value: JsonObject[] = [];
  let dropped = 0;
  for (const a of annotations ?? []) {
    const url = isRecord(a) ? urlCitationFields(a) : undefined;
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
