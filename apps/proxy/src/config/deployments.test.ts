import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "./load-config.js";
import { maskSecrets, unmaskSecrets } from "./secret-mask.js";
import { redactorFor } from "../ops/redact.js";

const parse = (yaml: string) => parseConfigText(yaml, "/t/config.yaml", {}, {});

function problemsOf(yaml: string): string[] {
  try {
    parse(yaml);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected the config to be rejected");
}

describe("deployments", () => {
  it("makes entries that share a model_name one group, each with its own backend, weight and caps", () => {
    const { config } = parse(`
model_list:
  - model_name: gpt
    model_params: { api_base: "http://a.test/v1", api_key: ka, model: m-a, weight: 3, rpm_limit: 10, max_parallel_requests: 2 }
  - model_name: gpt
    extends: gpt
    model_info: { id: eu }
    model_params: { api_base: "http://b.test/v1", api_key: kb, tpm_limit: 1000 }
    access_control: { allowed_keys: [k1] }
  - model_name: solo
    model_params: { api_type: mock }
app_keys: { keys: [{ key_id: k1, secret: s1 }] }
router_settings: { routing_strategy: least-busy }
`);
    const group = config.groups.get("gpt")!;
    expect(group.strategy).toBe("least-busy");
    expect(group.deployments.map((d) => [d.id, d.apiBase, d.apiKey, d.upstreamModel, d.weight, d.rpmLimit, d.tpmLimit, d.maxParallelRequests])).toEqual([
      ["gpt#1", "http://a.test/v1", "ka", "m-a", 3, 10, undefined, 2],
      // extends its own group's first entry: the model and the weight come from there.
      ["eu", "http://b.test/v1", "kb", "m-a", 3, 10, 1000, 2],
    ]);
    expect(group.deployments[1]!.allowedKeys).toEqual(new Set(["k1"]));
    expect(group.deployments[0]!.allowedKeys).toBe("all");
    expect(config.models.get("gpt")!.id).toBe("gpt#1");
    expect(config.groups.get("solo")!.deployments[0]!.id).toBe("solo");
    // rpm_limit caps each deployment of a group; the model-wide rate limit is a lone deployment's.
    expect(group.deployments[0]!.limits).toBeUndefined();
  });

  it("expands a deployments list, each item merged over its entry, and reads LiteLLM's strategy names", () => {
    const { config } = parse(`
model_list:
  - model_name: llama
    routing_strategy: latency-based-routing
    model_params: { api_base: "http://x.test/v1", model: llama-3, parameters: { temperature: 0.2 } }
    deployments:
      - { id: r1, model_params: { api_base: "http://r1.test/v1", weight: 2 } }
      - { model_params: { api_base: "http://r2.test/v1", parameters: { temperature: 0.9 } } }
`);
    const group = config.groups.get("llama")!;
    expect(group.strategy).toBe("latency");
    expect(group.deployments.map((d) => [d.id, d.apiBase, d.upstreamModel, d.weight, d.parameters[0]?.value])).toEqual([
      ["r1", "http://r1.test/v1", "llama-3", 2, 0.2],
      ["llama#2", "http://r2.test/v1", "llama-3", 1, 0.9],
    ]);
  });

  it.each([
    ["model_list:\n  - { model_name: a, model_params: { api_type: mock, weight: -1 } }", /^model_list\[0\]\.model_params\.weight: Too small/],
    [
      "model_list:\n  - { model_name: a, model_params: { api_type: mock }, deployments: [{ model_params: { rpm_limit: 0 } }] }",
      /^model_list\[0\]\.deployments\[0\]\.model_params\.rpm_limit: Too small/,
    ],
    ["model_list:\n  - { model_name: a, model_params: { api_type: mock }, deployments: [] }", /^model_list\[0\]\.deployments: Too small/],
    ["router_settings: { routing_strategy: fastest }", /^router_settings\.routing_strategy: Invalid option/],
    [
      "model_list:\n  - { model_name: a, routing_strategy: usage, model_params: { api_type: mock } }\n  - { model_name: a, routing_strategy: latency, model_params: { api_type: mock } }",
      /^model_list\[1\]\.routing_strategy: "latency" differs from the one model_list\[0\] sets for "a"/,
    ],
    ["model_list:\n  - { model_name: a, model_params: { api_type: mock, weight: 0 } }", /every deployment of "a" has weight 0/],
    ["router_settings: { session_affinity: { ttl: 5 } }", /^router_settings\.session_affinity: Unrecognized key: "ttl"/],
  ])("rejects %s", (yaml, expected) => {
    const problems = problemsOf(yaml);
    expect(
      problems.some((p) => expected.test(p)),
      problems.join("\n"),
    ).toBe(true);
  });

  it("has defaults for health and affinity", () => {
    const { config } = parse("model_list: []\nrouter_settings: { allowed_fails: 1, cooldown_seconds: 2, session_affinity: { header: X-Conversation } }");
    expect(config.router).toMatchObject({ strategy: "weighted", allowedFails: 1, cooldownMs: 2000, maxCooldownMs: 300_000 });
    expect(config.router.affinity).toEqual({ enabled: true, header: "x-conversation", ttlMs: 3_600_000, maxEntries: 100_000 });
  });
});

describe("secrets of deployments in the admin API's config text", () => {
  it("puts each deployment's own key back, by id or by place among its name's entries", () => {
    const current = `model_list:
  - { model_name: gpt, model_params: { api_base: "http://a/v1", api_key: key-a } }
  - { model_name: gpt, model_params: { api_base: "http://b/v1", api_key: key-b } }
  - { model_name: gpt, model_info: { id: c }, model_params: { api_base: "http://c/v1", api_key: key-c } }
`;
    const masked = maskSecrets(current);
    expect(masked).not.toMatch(/key-[abc]/);
    // The operator moves the deployment with an id to the top and edits nothing else.
    const lines = masked.split("\n");
    const edited = [lines[0], lines[3], lines[1], lines[2], ""].join("\n");
    const back = unmaskSecrets(edited, current);
    expect(back.split("\n").map((l) => /key-[abc]/.exec(l)?.[0])).toEqual([undefined, "key-c", "key-a", "key-b", undefined]);
  });
});

describe("redaction", () => {
  it("knows every deployment's key, not only each model's first", () => {
    const { config } = parse(`model_list:
  - { model_name: gpt, model_params: { api_base: "http://a/v1", api_key: key-first } }
  - { model_name: gpt, model_params: { api_base: "http://b/v1", api_key: key-second, headers: { authorization: "Bearer tok-second" } } }
`);
    expect(redactorFor(config).values).toEqual(expect.arrayContaining(["key-first", "key-second", "tok-second"]));
  });
});
