// Item ids of the proxy's own Responses, and `item_reference` lookups in the response store.
//
// A client that stores responses may refer to earlier output items by id alone, without
// `previous_response_id` (the AI SDK does this for every multi-step call with `store: true`). The
// items of a response the proxy built carry that response's id inside their own
// (`msg_<hex>_<n>` for `resp_<hex>`), so the stored response, and the item, can be found again.

import type { ResponseStore } from "@yallmproxy/db";
import type { ResponsesInputItem } from "@yallmproxy/translate";
import type { Caller } from "../auth.js";

const RESPONSE_ID = /^resp_([0-9A-Za-z]+)$/;
const ITEM_ID = /^[a-z]+_([0-9A-Za-z]+)_\d+$/;

/** A generator of item ids (`<prefix><hex>_<n>`) tied to the response `resp_<hex>`. */
export function itemIdsFor(responseId: string): ((prefix: string) => string) | undefined {
  const hex = RESPONSE_ID.exec(responseId)?.[1];
  if (hex === undefined) return undefined;
  let n = 0;
  return (prefix) => `${prefix}${hex}_${++n}`;
}

/** The response an item id made by `itemIdsFor` belongs to. */
export function responseIdOfItem(itemId: string): string | undefined {
  const hex = ITEM_ID.exec(itemId)?.[1];
  return hex === undefined ? undefined : `resp_${hex}`;
}

/** The id an `item_reference` input item names; undefined for any other item. */
function referencedId(item: unknown): string | undefined {
  if (typeof item !== "object" || item === null || !("type" in item) || item.type !== "item_reference") return undefined;
  return "id" in item && typeof item.id === "string" ? item.id : undefined;
}

/**
 * Adds to `known` every item that `input` references (`item_reference`) and that the caller's
 * stored responses hold. References it cannot resolve are left for the decoder to report.
 */
export async function resolveItemReferences(store: ResponseStore, input: unknown, known: Map<string, ResponsesInputItem>, caller: Caller): Promise<void> {
  if (!Array.isArray(input)) return;
  const looked = new Set<string>();
  for (const ref of input) {
    const refId = referencedId(ref);
    if (refId === undefined || known.has(refId)) continue;
    const responseId = responseIdOfItem(refId);
    if (responseId === undefined || looked.has(responseId)) continue;
    looked.add(responseId);
    const found = await store.get(responseId);
    if (!found || found.ownerKeyId !== caller.keyId) continue;
    for (const item of [...found.inputItems, ...found.outputItems]) {
      if (typeof item.id === "string" && !known.has(item.id)) known.set(item.id, item as ResponsesInputItem);
    }
  }
}
