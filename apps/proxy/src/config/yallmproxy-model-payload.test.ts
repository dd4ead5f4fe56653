import { describe, expect, it } from "vitest";
import { PayloadError, isYallmproxyPayload, modelFromYallmproxyPayload } from "./yallmproxy-model-payload.js";

describe("yaLLMproxy's register payload", () => {
  it.each([
    [{ model_name: "a", extends: "b" }, false],
    [{ model_name: "a", model_params: { api_type: "mock" } }, false],
    [{ model_name: "a", model_params: { api_base: "http://x/v1" } }, true],
    [{ model_name: "a", api_base: "http://x/v1" }, true],
    [{ name: "a", base_url: "http://x/v1" }, true],
    [{ model_name: "a", extends: "b", fallbacks: ["c"] }, true],
  ])("%j is its payload: %s", (body, expected) => {
    expect(isYallmproxyPayload(body)).toBe(expected);
  });

  it("turns the documented flat payload into an entry, fallbacks apart", () => {
    const got = modelFromYallmproxyPayload({
      model_name: "my-model",
      api_base: "https://api.example.com/v1",
      api_key: "secret-key",
      target_model: "gpt-4",
      request_timeout: 60,
      supports_reasoning: true,
      extends: "base-model",
      fallbacks: ["backup-model"],
      protected: false,
      admin_password: "pw",
    });
    expect(got).toEqual({
      name: "my-model",
      entry: {
        model_name: "my-model",
        extends: "base-model",
        model_params: { api_base: "https://api.example.com/v1", api_key: "secret-key", model: "gpt-4", request_timeout: 60, supports_reasoning: true },
        protected: false,
      },
      fallbacks: ["backup-model"],
      hasApiKey: true,
    });
  });

  it("applies its renames and drops empty values, as its admin page's form sends them", () => {
    const got = modelFromYallmproxyPayload({ name: "m", base_url: "http://x/v1", timeout: "30", model: "openai/gpt-4o", api_key: "", fallbacks: "b" });
    expect(got.entry).toEqual({ model_name: "m", model_params: { api_base: "http://x/v1", request_timeout: 30, model: "openai/gpt-4o" } });
    expect(got.fallbacks).toEqual(["b"]);
    const nested = modelFromYallmproxyPayload({
      model_name: "n",
      model_params: { api_base: "http://x/v1", target_model: "t" },
      parameters: { temperature: { default: 0 } },
    });
    expect(nested.entry).toEqual({ model_name: "n", model_params: { api_base: "http://x/v1", model: "t" }, parameters: { temperature: { default: 0 } } });
    expect(nested.hasApiKey).toBe(false);
  });

  it("refuses what yaLLMproxy refuses, naming the field", () => {
    const refused = (body: Record<string, unknown>) => {
      try {
        modelFromYallmproxyPayload(body);
      } catch (err) {
        return err instanceof PayloadError ? err.param : "other";
      }
      return "accepted";
    };
    expect(refused({ api_base: "http://x/v1" })).toBe("model_name");
    expect(refused({ model_name: "a", api_key: "k" })).toBe("api_base");
    expect(refused({ model_name: "a", api_base: "http://x/v1", fallbacks: 3 })).toBe("fallbacks");
  });
});
