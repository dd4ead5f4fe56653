import { MemoryResponseStore, type StoredResponse } from "@yallmproxy/db";
import type { ResponsesInputItem } from "@yallmproxy/translate";
import { describe, expect, it } from "vitest";
import { itemIdsFor, resolveItemReferences, responseIdOfItem } from "./items.js";

function stored(id: string, ownerKeyId: string | undefined, outputItems: Array<Record<string, unknown>>): StoredResponse {
  return {
    id,
    ownerKeyId,
    model: "m",
    backend: "b",
    status: "completed",
    request: {},
    inputItems: [{ type: "message", role: "user", id: "msg_input1", content: [{ type: "input_text", text: "hi" }] }],
    outputItems,
    response: {},
    usage: null,
    previousResponseId: null,
    createdAt: 0,
    expiresAt: Number.MAX_SAFE_INTEGER,
  };
}

describe("item ids tied to their response", () => {
  it("round-trips: every generated id names its response", () => {
    const next = itemIdsFor("resp_0123456789abcdef01234567")!;
    const ids = [next("msg_"), next("fc_"), next("rs_")];
    expect(ids).toEqual(["msg_0123456789abcdef01234567_1", "fc_0123456789abcdef01234567_2", "rs_0123456789abcdef01234567_3"]);
    for (const id of ids) expect(responseIdOfItem(id)).toBe("resp_0123456789abcdef01234567");
  });

  it("ignores ids it did not make", () => {
    expect(itemIdsFor("chatcmpl-1")).toBeUndefined();
    expect(responseIdOfItem("msg_0123456789abcdef01234567")).toBeUndefined();
    expect(responseIdOfItem("rs_01830d662ab3856501693c321405c88190be3ab04d5782d5f9")).toBeUndefined();
    expect(responseIdOfItem("fco_01a20a61-c65d-7e10-9101-93baf0439cd9")).toBeUndefined();
  });
});

describe("resolveItemReferences", () => {
  const next = itemIdsFor("resp_aaaa")!;
  const msgId = next("msg_");
  const fcId = next("fc_");
  const output = [
    { type: "message", id: msgId, role: "assistant", status: "completed", content: [{ type: "output_text", text: "Let me check.", annotations: [] }] },
    { type: "function_call", id: fcId, call_id: "call_1", name: "f", arguments: "{}", status: "completed" },
  ];

  it("finds referenced output items of the caller's stored responses, with no previous_response_id", async () => {
    const store = new MemoryResponseStore(10);
    await store.put(stored("resp_aaaa", "team-a", output));
    const known = new Map<string, ResponsesInputItem>();
    const input = [
      { role: "user", content: "hi" },
      { type: "item_reference", id: msgId },
      { type: "item_reference", id: fcId },
    ];
    await resolveItemReferences(store, input, known, { keyId: "team-a", key: undefined });
    expect(known.get(msgId)).toEqual(output[0]);
    expect(known.get(fcId)).toEqual(output[1]);
  });

  it("does not resolve another key's items, unknown responses, or foreign ids", async () => {
    const store = new MemoryResponseStore(10);
    await store.put(stored("resp_aaaa", "team-a", output));
    const known = new Map<string, ResponsesInputItem>();
    const input = [
      { type: "item_reference", id: msgId },
      { type: "item_reference", id: "msg_bbbb_1" },
      { type: "item_reference", id: "msg_upstream" },
    ];
    await resolveItemReferences(store, input, known, { keyId: "team-b", key: undefined });
    expect(known.size).toBe(0);
    await resolveItemReferences(store, "a string input", known, { keyId: "team-a", key: undefined });
    expect(known.size).toBe(0);
  });
});
