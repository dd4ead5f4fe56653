import { describe, expect, it } from "vitest";
import { decodeMessagesRequest } from "./decode-request.js";
import { encodeMessagesRequest } from "./encode-request.js";

const SIGNATURE =
  "EvQBCkYICxgCKkAxhD4NUKFzudtZ6NzbZdEiBACIScTzqjPViM596iWLZIk4EFKYYBj3B6Ptl3b0dcQv/VeJBNbejNWIWRBn+KPNEgz6HWtKx7p+QRgKsEoaDGjsiqfht7gTRFYHiyIwD1VSmNqHxv3wy8KEMP+LYb/TC4UH3H97tuoaADARFFcA0phdfxnzKQxFnc9lwY+dKlzUsaKSUAFeu1bDL5ikZJ1vL0Fkz6JjoFke0L/wOJRIUDUlDUOFJ1tZ3ea7g6LGE/5hwuvWgLwewdcm64d+43l7F57XrOmqNd6flI2K/oPr/4yzNgvi/EhT6Ca17BgB";

/** Shaped like a Claude Code turn (docs/protocol.md §6): block content, cache_control, adaptive thinking, effort. */
const claudeCodeBody = {
  model: "claude-opus-4-8",
  max_tokens: 64000,
  stream: true,
  system: [
    { type: "text", text: "You are Claude Code." },
    { type: "text", text: "Project instructions.", cache_control: { type: "ephemeral" } },
  ],
  messages: [
    { role: "user", content: [{ type: "text", text: "What is in /tmp?" }] },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "I should list the directory.", signature: SIGNATURE },
        { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj" },
        { type: "text", text: "Listing it." },
        { type: "tool_use", id: "toolu_01NRLabsLyVHZPKxbKvkfSMn", name: "Bash", input: { command: "ls /tmp", timeout: 5000 } },
        { type: "tool_use", id: "toolu_02", name: "Read", input: {} },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_01NRLabsLyVHZPKxbKvkfSMn", content: "a.txt\nb.txt" },
        { type: "tool_result", tool_use_id: "toolu_02", content: "File not found", is_error: true, cache_control: { type: "ephemeral" } },
        { type: "text", text: "Go on.", cache_control: { type: "ephemeral" } },
      ],
    },
  ],
  tools: [
    { name: "Bash", description: "Run a shell command", input_schema: { type: "object", properties: { command: { type: "string" } }, required: ["command"] } },
    { name: "Read", description: "Read a file", input_schema: { type: "object", properties: {} } },
  ],
  tool_choice: { type: "auto", disable_parallel_tool_use: true },
  metadata: { user_id: '{"device_id":"d1","session_id":"s1"}' },
  thinking: { type: "adaptive" },
  output_config: { effort: "high" },
  context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
  stop_sequences: ["</done>"],
};

describe("Anthropic request → hub → Anthropic request", () => {
  it("gives the backend the body the client sent", () => {
    const hub = decodeMessagesRequest(claudeCodeBody);
    const back = encodeMessagesRequest(hub.value, { model: "claude-opus-4-8" });
    expect(back.value).toEqual(claudeCodeBody);
    expect(hub.warnings).toEqual([]);
    expect(back.warnings).toEqual([]);
  });

  it("keeps the thinking signature byte for byte", () => {
    const back = encodeMessagesRequest(decodeMessagesRequest(claudeCodeBody).value, { model: "m" }).value;
    const turns = back.messages as { content: { type: string; signature?: string }[] }[];
    expect(turns[1]?.content[0]?.signature).toBe(SIGNATURE);
  });

  it("keeps an enabled budget and temperature-free sampling", () => {
    const body = {
      model: "claude-sonnet-4-5",
      max_tokens: 16000,
      messages: [{ role: "user", content: [{ type: "text", text: "Think." }] }],
      thinking: { type: "enabled", budget_tokens: 10000 },
      top_k: 10,
    };
    const back = encodeMessagesRequest(decodeMessagesRequest(body).value, { model: "claude-sonnet-4-5" });
    const { top_k: droppedTopK, ...rest } = body;
    expect(droppedTopK).toBe(10);
    expect(back.value).toStrictEqual({ ...rest, stream: false });
    expect(back.warnings.map((w) => w.path)).toEqual(["top_k"]);
  });
});
