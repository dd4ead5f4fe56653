import { MemoryResponseStore, type StoredResponse } from "@yallmproxy/db";
import { describe, expect, it } from "vitest";
import { ProxyError } from "../errors.js";
import { MAX_CHAIN_TURNS, chainToContinue, historyItems, walkChain } from "./chain.js";

function turn(id: string, previous: string | null, ownerKeyId: string | undefined = "a"): StoredResponse {
  return {
    id,
    ownerKeyId,
    model: "m",
    backend: "b",
    status: "completed",
    request: {},
    inputItems: [{ type: "message", role: "user", id: `in_${id}`, content: [{ type: "input_text", text: id }] }],
    outputItems: [
      { type: "reasoning", id: `rs_${id}`, summary: [] },
      { type: "message", role: "assistant", id: `out_${id}`, content: [{ type: "refusal", refusal: "no" }] },
    ],
    response: {},
    usage: null,
    previousResponseId: previous,
    createdAt: 0,
    expiresAt: Number.MAX_SAFE_INTEGER,
  };
}

async function storeOf(turns: StoredResponse[]): Promise<MemoryResponseStore> {
  const store = new MemoryResponseStore(MAX_CHAIN_TURNS + 10);
  for (const t of turns) await store.put(t);
  return store;
}

const A = { keyId: "a", key: undefined };
const B = { keyId: "b", key: undefined };

async function errorOf(p: Promise<unknown>): Promise<ProxyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ProxyError)) throw new Error(`expected a ProxyError, got ${String(err)}`);
  return err;
}

describe("walkChain", () => {
  it("walks back to the first turn, oldest first", async () => {
    const store = await storeOf([turn("r1", null), turn("r2", "r1"), turn("r3", "r2")]);
    const chain = await walkChain(store, "r3", A);
    expect(chain.end).toBe("first");
    expect(chain.turns.map((t) => t.id)).toEqual(["r1", "r2", "r3"]);
  });

  it("says where a chain with an older turn gone breaks, and an unknown id has no turns", async () => {
    const store = await storeOf([turn("r2", "r1"), turn("r3", "r2")]);
    expect(await walkChain(store, "r3")).toMatchObject({ end: "broken", turns: [{ id: "r2" }, { id: "r3" }] });
    expect(await walkChain(store, "nope")).toEqual({ end: "first", turns: [] });
  });

  it("refuses another key's turn as not found, anywhere in the chain; the admin walk sees every turn", async () => {
    const store = await storeOf([turn("r1", null, "b"), turn("r2", "r1")]);
    const err = await errorOf(walkChain(store, "r2", A));
    expect([err.status, err.code, err.message]).toEqual([404, "not_found", "Response with id 'r1' not found."]);
    expect((await errorOf(walkChain(store, "r2", B))).status).toBe(404);
    expect((await walkChain(store, "r2")).turns).toHaveLength(2);
  });

  it(`stops at ${MAX_CHAIN_TURNS} turns, keeping the newest; continuing such a chain is a 400`, async () => {
    const turns = Array.from({ length: MAX_CHAIN_TURNS + 1 }, (_, i) => turn(`r${i}`, i === 0 ? null : `r${i - 1}`));
    const store = await storeOf(turns);
    const atLimit = await walkChain(store, `r${MAX_CHAIN_TURNS - 1}`, A);
    expect(atLimit.end).toBe("first");
    expect(atLimit.turns).toHaveLength(MAX_CHAIN_TURNS);
    const over = await walkChain(store, `r${MAX_CHAIN_TURNS}`, A);
    expect(over.end).toBe("too_long");
    expect(over.turns).toHaveLength(MAX_CHAIN_TURNS);
    expect(over.turns[0]!.id).toBe("r1");
    const err = await errorOf(chainToContinue(store, `r${MAX_CHAIN_TURNS}`, A));
    expect([err.status, err.code, err.param]).toEqual([400, "chain_too_deep", "previous_response_id"]);
  });
});

describe("chainToContinue", () => {
  it("is undefined for an unknown id, OpenAI's 400 for a broken chain", async () => {
    const store = await storeOf([turn("r2", "r1")]);
    expect(await chainToContinue(store, "nope", A)).toBeUndefined();
    const err = await errorOf(chainToContinue(store, "r2", A));
    expect([err.status, err.code, err.message]).toEqual([400, "previous_response_not_found", "Previous response with id 'r2' not found."]);
  });
});

describe("historyItems", () => {
  it("replays reasoning and refusals only as the policy says", async () => {
    const chain = [turn("r1", null)];
    expect(historyItems(chain, { includeReasoning: true, includeRefusals: true }).map((i) => i.id)).toEqual(["in_r1", "rs_r1", "out_r1"]);
    expect(historyItems(chain, { includeReasoning: false, includeRefusals: false }).map((i) => i.id)).toEqual(["in_r1"]);
  });
});
