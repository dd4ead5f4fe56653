// `api_type: gigachat` against a loopback HTTPS GigaChat that demands a client certificate: OAuth
// tokens (one fetch shared, refreshed at expiry and after a 401), mTLS, and a tool round trip through
// Chat, Responses and Messages clients, streamed and not.

import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningProxy, sleep, startProxy } from "../lib/harness.js";
import { type FakeGigaChat, type Pki, STATE_ID, makePki, startFakeGigaChat } from "../lib/gigachat-server.js";

const AUTH_KEY = Buffer.from("client-id:client-secret").toString("base64");

let pki: Pki;
let giga: FakeGigaChat;
let cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  pki = makePki();
  giga = await startFakeGigaChat(pki);
});
afterAll(async () => {
  await giga.close();
  pki.remove();
});
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
  giga.oauth.length = 0;
  giga.chats.length = 0;
  giga.lifetimeMs = 30 * 60_000;
  giga.oauthAnswer = undefined;
  giga.chatAnswer = undefined;
});

/** A proxy with model `giga`; `params` replace or add model_params (null drops one). */
async function proxy(params: Record<string, string | boolean | null> = {}): Promise<RunningProxy> {
  const base: Record<string, string | boolean | null> = {
    api_type: "gigachat",
    mode: "cloud",
    api_base: `${giga.origin}/api/v1`,
    auth_url: `${giga.origin}/api/v2/oauth`,
    api_key: AUTH_KEY,
    scope: "GIGACHAT_API_PERS",
    model: "GigaChat-2-Max",
    client_cert: pki.clientCert,
    client_key: pki.clientKey,
    ca_cert: pki.caCert,
    ...params,
  };
  const lines = Object.entries(base)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`);
  const p = await startProxy(`
model_list:
  - model_name: giga
    model_params:
${lines.join("\n")}
router_settings: { num_retries: 0 }
`);
  cleanup.push(p.close);
  return p;
}

const openai = (p: RunningProxy) => new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "k", maxRetries: 0 });
const anthropic = (p: RunningProxy) => new Anthropic({ baseURL: p.url, apiKey: "k", maxRetries: 0 });
const ask = (p: RunningProxy, text = "hello") => openai(p).chat.completions.create({ model: "giga", messages: [{ role: "user", content: text }] });

const weather = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

describe("GigaChat OAuth tokens", () => {
  it("fetches one token for concurrent requests, with Basic auth, an RqUID and the scope", async () => {
    const p = await proxy();
    const answers = await Promise.all([1, 2, 3, 4, 5].map((i) => ask(p, `q${i}`)));
    expect(answers.map((a) => a.choices[0]!.message.content).sort()).toEqual(["echo: q1", "echo: q2", "echo: q3", "echo: q4", "echo: q5"]);
    expect(giga.oauth).toHaveLength(1);
    expect(giga.oauth[0]!.authorization).toBe(`Basic ${AUTH_KEY}`);
    expect(giga.oauth[0]!.rqUid).toMatch(/^[0-9a-f-]{36}$/);
    expect(giga.oauth[0]!.body).toBe("scope=GIGACHAT_API_PERS");
    expect(new Set(giga.chats.map((c) => c.authorization)).size).toBe(1);
    await ask(p);
    expect(giga.oauth).toHaveLength(1);
  });

  it("fetches a new token when the old one nears its expires_at", async () => {
    // 30.5 s of life: usable for half a second before the proxy's 30 s margin.
    giga.lifetimeMs = 30_500;
    const p = await proxy();
    await ask(p);
    await ask(p);
    expect(giga.oauth).toHaveLength(1);
    await sleep(700);
    await ask(p);
    expect(giga.oauth).toHaveLength(2);
    expect(giga.chats.map((c) => c.authorization)).toEqual([giga.chats[0]!.authorization, giga.chats[0]!.authorization, giga.chats[2]!.authorization]);
    expect(giga.chats[2]!.authorization).not.toBe(giga.chats[0]!.authorization);
  });

  it("answers a 401 from chat with one new token and a retry of the request", async () => {
    const p = await proxy();
    await ask(p);
    const first = giga.chats[0]!.authorization!.replace("Bearer ", "");
    giga.valid.delete(first);
    const again = await ask(p, "after revoke");
    expect(again.choices[0]!.message.content).toBe("echo: after revoke");
    expect(giga.oauth).toHaveLength(2);
    expect(giga.chats.map((c) => c.authorization)).toEqual([`Bearer ${first}`, `Bearer ${first}`, expect.not.stringContaining(first)]);
  });

  it("a refused key, a bad token answer and an oversized one are a clear 502", async () => {
    const wrong = await proxy({ api_key: Buffer.from("client-id:wrong").toString("base64") });
    await expect(ask(wrong)).rejects.toMatchObject({
      status: 502,
      message: expect.stringContaining("GigaChat token request answered 401: credentials doesn't match db data"),
    });
    const p = await proxy();
    giga.oauthAnswer = (res) => res.writeHead(200, { "content-type": "application/json" }).end("<html>");
    await expect(ask(p)).rejects.toMatchObject({ status: 502, message: expect.stringContaining("GigaChat token answer is not JSON") });
    giga.oauthAnswer = (res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ expires_at: 1 }));
    await expect(ask(p)).rejects.toMatchObject({ status: 502, message: expect.stringContaining("no access_token") });
    giga.oauthAnswer = (res) => res.writeHead(200, { "content-type": "application/json" }).end(`{"access_token":"${"x".repeat(100_000)}"}`);
    await expect(ask(p)).rejects.toMatchObject({ status: 502, message: expect.stringContaining("larger than 65536 bytes") });
    expect(giga.chats).toHaveLength(0);
  });
});

describe("GigaChat TLS", () => {
  it("the handshake fails without the client certificate, or with one the server does not trust", async () => {
    const bare = await proxy({ client_cert: null, client_key: null });
    await expect(ask(bare)).rejects.toMatchObject({ status: 502, message: expect.stringMatching(/GigaChat token request to .* failed/) });
    const stranger = await proxy({ client_cert: pki.strangerCert, client_key: pki.strangerKey });
    await expect(ask(stranger)).rejects.toMatchObject({ status: 502 });
    expect(giga.oauth).toHaveLength(0);
    expect(giga.chats).toHaveLength(0);
  });

  it("the server's certificate is checked against ca_cert, or not at all with verify_ssl: false", async () => {
    const noCa = await proxy({ ca_cert: null });
    await expect(ask(noCa)).rejects.toMatchObject({ status: 502, message: expect.stringMatching(/certificate/i) });
    const unchecked = await proxy({ ca_cert: null, verify_ssl: false });
    expect((await ask(unchecked)).choices[0]!.message.content).toBe("echo: hello");
  });
});
