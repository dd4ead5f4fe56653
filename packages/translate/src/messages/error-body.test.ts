import { describe, expect, it } from "vitest";
import { encodeMessagesPing } from "./ping.js";
import { messagesErrorBody, messagesErrorType } from "./error-body.js";

describe("messagesErrorType", () => {
  it.each([
    [400, "invalid_request_error"],
    [401, "authentication_error"],
    [402, "billing_error"],
    [403, "permission_error"],
    [404, "not_found_error"],
    [413, "request_too_large"],
    [422, "invalid_request_error"],
    [429, "rate_limit_error"],
    [500, "api_error"],
    [502, "api_error"],
    [503, "overloaded_error"],
    [504, "timeout_error"],
    [529, "overloaded_error"],
  ])("%i → %s", (status, type) => {
    expect(messagesErrorType(status)).toBe(type);
  });
});

describe("messagesErrorBody", () => {
  it("builds Anthropic's error JSON, with an explicit type winning", () => {
    expect(messagesErrorBody(529, "Overloaded")).toEqual({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
    expect(messagesErrorBody(400, "bad", "not_found_error")).toEqual({ type: "error", error: { type: "not_found_error", message: "bad" } });
  });
});

describe("encodeMessagesPing", () => {
  it("is the ping frame the Anthropic SDKs skip", () => {
    expect(encodeMessagesPing()).toBe('event: ping\ndata: {"type":"ping"}\n\n');
  });
});
