import { describe, expect, it } from "vitest";
import { type ChainTurn, SocketChain } from "./socket-chain.js";

const turn = (n: number): ChainTurn => ({
  inputItems: [{ type: "message", role: "user", content: `q${n}` }],
  outputItems: [{ type: "message", role: "assistant", content: `a${n}` }],
});

describe("SocketChain", () => {
  it("continues a response with every turn before it, oldest first", () => {
    const chain = new SocketChain({ maxBytes: 1000, maxTurns: 10 });
    chain.add("r1", undefined, turn(1), 10);
    chain.add("r2", "r1", turn(2), 10);
    chain.add("r3", "r2", turn(3), 10);
    expect(chain.turnsOf("r3")?.map((t) => t.inputItems[0]!.content)).toEqual(["q1", "q2", "q3"]);
    // A fork from an earlier response keeps its own line.
    chain.add("r2b", "r1", turn(4), 10);
    expect(chain.turnsOf("r2b")?.map((t) => t.inputItems[0]!.content)).toEqual(["q1", "q4"]);
    expect(chain.turnsOf("nope")).toBeUndefined();
  });

  it("refuses a chain past its turns or bytes, and drops old responses to stay within its bytes", () => {
    const chain = new SocketChain({ maxBytes: 100, maxTurns: 2 });
    expect(chain.add("r1", undefined, turn(1), 40)).toBeUndefined();
    expect(chain.add("r2", "r1", turn(2), 40)).toBeUndefined();
    expect(chain.add("r3", "r2", turn(3), 10)).toMatch(/3 turns \(at most 2\)/);
    expect(chain.turnsOf("r3")).toBeUndefined();
    expect(chain.add("big", "r2", turn(4), 30)).toMatch(/110 bytes \(at most 100\)/);
    // A new line that does not fit beside the old one pushes the old one out.
    expect(chain.add("n1", undefined, turn(5), 90)).toBeUndefined();
    expect(chain.turnsOf("n1")).toHaveLength(1);
    expect(chain.turnsOf("r1")).toBeUndefined();
    expect(chain.turnsOf("r2")).toBeUndefined();
  });

  it("keeps only the latest responses", () => {
    const chain = new SocketChain({ maxBytes: 10_000, maxTurns: 100 });
    let previous: string | undefined;
    for (let i = 0; i < 20; i++) {
      chain.add(`r${i}`, previous, turn(i), 1);
      previous = `r${i}`;
    }
    expect(chain.turnsOf("r19")).toHaveLength(20);
    expect(chain.turnsOf("r5")).toBeUndefined();
    expect(chain.turnsOf("r12")).toHaveLength(13);
  });
});
