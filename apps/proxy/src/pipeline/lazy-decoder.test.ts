import { describe, expect, it } from "vitest";
import type { TranslationWarning } from "@yallmproxy/translate";
import { Errors, ProxyError } from "../errors.js";
import { closeGone } from "./answer.js";
import { DetachedReply } from "./client.js";
import { lazyDecoder } from "./translation.js";

describe("lazyDecoder", () => {
  it("decodes through the client's codec once, its warnings collected once", () => {
    const warnings: TranslationWarning[] = [];
    const body = { model: "m", messages: [{ role: "user", name: "ann", content: "hi" }] };
    const decode = lazyDecoder("chat", body, warnings);
    const first = decode();
    expect(first).not.toBeInstanceOf(ProxyError);
    const count = warnings.length;
    expect(count).toBeGreaterThan(0);
    expect(decode()).toBe(first);
    expect(warnings.length).toBe(count);
  });

  it("answers a body the hub cannot represent with a 400 in the proxy's error type", () => {
    const decode = lazyDecoder("messages", { model: "m", max_tokens: 5, messages: "not a list" }, []);
    const out = decode();
    expect(out).toBeInstanceOf(ProxyError);
    expect((out as ProxyError).status).toBe(400);
  });

  it("resolves Responses item references through the options", () => {
    const item = { type: "message", role: "user", content: [{ type: "input_text", text: "stored" }] } as const;
    const decode = lazyDecoder("responses", { model: "m", input: [{ type: "item_reference", id: "msg_1" }] }, [], {
      resolveItem: (id) => (id === "msg_1" ? item : undefined),
    });
    const out = decode();
    expect(out).not.toBeInstanceOf(ProxyError);
    expect(JSON.stringify(out)).toContain("stored");
  });
});

describe("closeGone", () => {
  it("writes the 499 body in the client's own format", () => {
    const messages = new DetachedReply();
    closeGone(messages, Errors.clientGone(), "messages");
    expect(messages.status).toBe(499);
    expect(JSON.parse(String(messages.body))).toMatchObject({ type: "error", error: { type: expect.any(String) } });
    const chat = new DetachedReply();
    closeGone(chat, Errors.clientGone(), "chat");
    expect(JSON.parse(String(chat.body))).toMatchObject({ error: { message: expect.any(String) } });
    expect(JSON.parse(String(chat.body)).type).toBeUndefined();
  });
});
