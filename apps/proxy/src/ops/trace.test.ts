import { describe, expect, it } from "vitest";
import { timeOrderedId } from "../http/request-id.js";
import { Trace } from "./trace.js";

function metadataTrace(): Trace {
  const t = new Trace("id-1", "m", "team-a", "chat", true, "metadata", { maxBodyBytes: 1024, maxEvents: 10 });
  t.setUpstreamRequest("http://up/v1/chat/completions", { model: "x" });
  t.addAttempt({ backend: "b", attempt: 1, status: 503, outcome: "retry", durationMs: 1.234, error: 'said "no"' });
  t.addAttempt({ backend: "b", attempt: 2, status: 200, outcome: "answered", durationMs: 2.5 });
  t.upstreamChunk(Buffer.from("data: x\n\n"));
  t.clientChunk("data: x\n\n");
  t.warningList = [{ code: "field_dropped", path: "messages[0]", message: "dropped \\ field" }];
  t.backend = "b";
  t.finish(200);
  return t;
}

describe("Trace.row", () => {
  it("writes a metadata trace's detail as the same JSON detail() builds", () => {
    const t = metadataTrace();
    const row = t.row();
    expect(JSON.parse(row.detail)).toEqual(t.detail());
    expect(row).toMatchObject({ id: "id-1", model: "m", keyId: "team-a", stream: true, status: 200, attempts: 2, warnings: 1, captureLevel: "metadata" });
    expect(row.startedAt.getTime()).toBe(t.startedAtMs);
  });

  it("records the client's session id in the detail, metadata and full alike", () => {
    const t = metadataTrace();
    expect(t.detail().sessionId).toBeNull();
    t.sessionId = "e7f15a05-5fb4-4fd2-8ef3-8f00290bfabd";
    expect(JSON.parse(t.row().detail)).toEqual(t.detail());
    expect(t.detail().sessionId).toBe("e7f15a05-5fb4-4fd2-8ef3-8f00290bfabd");
  });

  it("cuts known secrets out of a metadata row as detail() does", () => {
    const secret = "sk-upstream-0123456789abcdef";
    const redactor = { isSecretHeader: () => false, values: [secret] };
    const t = metadataTrace();
    t.addAttempt({ backend: "b", attempt: 3, outcome: "retry", durationMs: 1, error: `refused key ${secret}` });
    t.error = `upstream said ${secret}`;
    const row = t.row(redactor);
    expect(JSON.parse(row.detail)).toEqual(t.detail(redactor));
    expect(JSON.stringify(row)).not.toContain(secret);
  });

  it("writes a full trace's bodies and events", () => {
    const t = new Trace("id-2", "m", null, "chat", false, "full", { maxBodyBytes: 1024, maxEvents: 10 });
    t.setClientRequest({ model: "m", messages: [] }, { "content-type": "application/json" });
    t.upstreamChunk(Buffer.from("{}"));
    t.finish(200);
    expect(JSON.parse(t.row().detail)).toEqual(t.detail());
    expect(JSON.parse(t.row().detail).upstreamEvents).toHaveLength(1);
  });
});

describe("timeOrderedId", () => {
  it("is a version 7 UUID that sorts by time", () => {
    const a = timeOrderedId(1_700_000_000_000);
    const b = timeOrderedId(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(a.slice(0, 13)).toBe("018bcfe5-6800");
  });
});
