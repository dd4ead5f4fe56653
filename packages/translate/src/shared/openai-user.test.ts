import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { LlmRequest } from "../ir.js";
import { encodeChatRequest } from "../chat/encode-request.js";
import { encodeResponsesRequest } from "../responses/encode-request.js";

// What Claude Code 2.1 sends as `metadata.user_id`: a JSON string of about 150 characters.
const claudeCodeUserId = JSON.stringify({
  device_id: "5ffc8823d4f1ce5b44a20c0bdc07f74baa5c4b4ce8535153ff808f42e171c5d6",
  account_uuid: "",
  session_id: "1eff56aa-740f-4d4b-b576-8eeddc23cfe5",
});
const req = (user: string): LlmRequest => ({ model: "m", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }], stream: false, user });

describe("user ids for OpenAI formats (64 characters at most)", () => {
  it.each([
    ["chat", (r: LlmRequest) => encodeChatRequest(r, { model: "up" })],
    ["responses", (r: LlmRequest) => encodeResponsesRequest(r, { model: "up" })],
  ])("%s: a short id is kept, a longer one is sent as its SHA-256", (_name, encode) => {
    expect(encode(req("user-42")).value.user).toBe("user-42");
    expect(encode(req("x".repeat(64))).value.user).toBe("x".repeat(64));
    const long = encode(req(claudeCodeUserId));
    expect(claudeCodeUserId.length).toBeGreaterThan(64);
    expect(long.value.user).toBe(createHash("sha256").update(claudeCodeUserId).digest("hex"));
    expect(String(long.value.user)).toHaveLength(64);
    expect(long.warnings).toContainEqual({ code: "value_adjusted", path: "user", message: expect.stringContaining("SHA-256") });
  });
});
