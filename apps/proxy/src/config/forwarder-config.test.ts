import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "./load-config.js";

const MODEL = "model_list: [{ model_name: m, model_params: { api_type: mock } }]\n";
const load = (yaml: string, env: Record<string, string> = {}) => parseConfigText(MODEL + yaml, "/t/config.yaml", {}, env);
const problemsOf = (yaml: string, env: Record<string, string> = {}): string[] => {
  try {
    load(yaml, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe("forwarder_settings and http_forwarder_settings", () => {
  it("take yaLLMproxy's defaults: listen 0.0.0.0:6969, target the proxy's own port (loopback for 0.0.0.0), Host preserved", () => {
    const { config } = load("proxy_settings: { server: { host: 0.0.0.0, port: 7000 } }\nforwarder_settings: { enabled: true }\n");
    expect(config.forwarders.tcp).toMatchObject({ listenHost: "0.0.0.0", listenPort: 6969, targetHost: "127.0.0.1", targetPort: 7000, bufferBytes: 65536 });
    const http = load("forwarder_settings: { enabled: true, listen: { port: 6970 } }\nhttp_forwarder_settings: { enabled: true }\n", { YALLMP_PORT: "7100" })
      .config.forwarders.http;
    expect(http).toMatchObject({ listenPort: 6969, targetOrigin: "http://127.0.0.1:7100", preserveHost: true, tls: undefined });
  });

  it("read the environment over the file; an empty variable counts as unset", () => {
    const yaml = "forwarder_settings: { enabled: false, listen: { host: 127.0.0.1, port: 7001 }, target: { host: a, port: 1 } }\n";
    const env = {
      FORWARD_ENABLED: "on",
      FORWARD_LISTEN_HOST: "",
      FORWARD_LISTEN_PORT: "7002",
      FORWARD_TARGET_HOST: "b",
      FORWARD_TARGET_PORT: "2",
      FORWARD_DEBUG: "1",
    };
    expect(load(yaml, env).config.forwarders.tcp).toMatchObject({ listenHost: "127.0.0.1", listenPort: 7002, targetHost: "b", targetPort: 2, debug: true });
    const http = load("http_forwarder_settings: { enabled: true, preserve_host: true, timeout_seconds: 5 }\n", {
      HTTP_FORWARD_PRESERVE_HOST: "false",
      HTTP_FORWARD_TIMEOUT: "2.5",
      HTTP_FORWARD_TARGET_SCHEME: "https",
      HTTP_FORWARD_TARGET_HOST: "::1",
      HTTP_FORWARD_TARGET_PORT: "8443",
    }).config.forwarders.http;
    expect(http).toMatchObject({ preserveHost: false, timeoutMs: 2500, targetOrigin: "https://[::1]:8443" });
  });

  it("left without enabled, are not started and say how to start them", () => {
    const { config, warnings } = load("forwarder_settings: { listen: { port: 7003 } }\n");
    expect(config.forwarders.tcp).toBeUndefined();
    expect(warnings.some((w) => w.startsWith("forwarder_settings: not started"))).toBe(true);
    expect(load("forwarder_settings: { enabled: false }\n").warnings).toEqual([]);
  });

  it("refuse a bad value naming its path or variable, TLS without its files, and two listeners on one port", () => {
    expect(problemsOf("forwarder_settings: { enabled: true, listen: { port: 70000 } }\n")).toEqual([
      expect.stringMatching(/^forwarder_settings\.listen\.port: /),
    ]);
    expect(problemsOf("forwarder_settings: { enabled: true }\n", { FORWARD_LISTEN_PORT: "abc" })).toEqual([
      expect.stringMatching(/^FORWARD_LISTEN_PORT: invalid value "abc"/),
    ]);
    expect(problemsOf("http_forwarder_settings: { enabled: true, ssl: { enabled: true, cert_file: c.pem } }\n")).toEqual([
      "http_forwarder_settings.ssl: enabled, but cert_file and key_file are not both set",
    ]);
    expect(problemsOf("forwarder_settings: { enabled: true }\nhttp_forwarder_settings: { enabled: true }\n")).toEqual([
      "http_forwarder_settings.listen: port 6969 is also forwarder_settings.listen's",
    ]);
    expect(problemsOf("forwarder_settings: { enabled: true, listen: { host: 0.0.0.0, port: 7979 } }\n")).toEqual([
      "forwarder_settings.listen: port 7979 is also proxy_settings.server's",
      "forwarder_settings.target: forwards to its own listening port 7979",
    ]);
    expect(problemsOf("forwarder_settings: { enabled: true, listen: { port: 7004 }, target: { host: 127.0.0.1, port: 7004 } }\n")).toEqual([
      "forwarder_settings.target: forwards to its own listening port 7004",
    ]);
  });
});
