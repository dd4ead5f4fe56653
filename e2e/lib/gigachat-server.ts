// A GigaChat stand-in on loopback HTTPS that demands a client certificate signed by a CA made for
// the test with the `openssl` CLI: the OAuth endpoint (`/api/v2/oauth`, Basic auth, `RqUID`, `scope`)
// and `/api/v1/chat/completions` with GigaChat's `functions` / `function_call` and its event stream.

import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from a CA the server does not trust. */
  strangerCert: string;
  strangerKey: string;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all in a temp dir. */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "gigachat-pki-"));
  openssl(dir, ["req", "-x509", ...EC, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Test GigaChat CA"]);
  openssl(dir, ["req", "-x509", ...EC, "-keyout", "other-ca.key", "-out", "other-ca.crt", "-days", "2", "-subj", "/CN=Other CA"]);
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  const issue = (name: string, ca: string, ext: string) => {
    openssl(dir, ["req", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
    openssl(dir, [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      ext,
    ]);
  };
  issue("server", "ca", "server.ext");
  issue("client", "ca", "client.ext");
  issue("stranger", "other-ca", "client.ext");
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caCert: p("ca.crt"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
    clientCert: p("client.crt"),
    clientKey: p("client.key"),
    strangerCert: p("stranger.crt"),
    strangerKey: p("stranger.key"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

interface OAuthCall {
  authorization: string | undefined;
  rqUid: string | undefined;
  body: string;
}

interface ChatCall {
  authorization: string | undefined;
  json: Record<string, unknown>;
}

export interface FakeGigaChat {
  /** `https://127.0.0.1:<port>` */
  origin: string;
  oauth: OAuthCall[];
  chats: ChatCall[];
  /** Tokens handed out; a token not in `valid` is answered 401. */
  valid: Set<string>;
  /** How long a new token lives (ms). */
  lifetimeMs: number;
  /** False: chat is open to any client with a trusted certificate (GigaChat's local mode). */
  requireToken: boolean;
  /** Replaces the OAuth endpoint's answer. */
  oauthAnswer?: (res: ServerResponse) => void;
  /** Replaces the chat endpoint's answer. */
  chatAnswer?: (json: Record<string, unknown>, res: ServerResponse) => boolean;
  close(): Promise<void>;
}

export const STATE_ID = "77d3fb14-457a-46ba-937e-8d856156d003";
const MODEL = "GigaChat-2-Max:2.0.28.2";

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** What GigaChat says: a function call when functions are offered and no result came yet, else text. */
function reply(body: Record<string, unknown>): { text: string; call?: { name: string; arguments: Record<string, unknown> } } {
  const messages = body.messages as Array<{ role: string; content: string; name?: string }>;
  const last = messages[messages.length - 1]!;
  if (last.role === "function") return { text: `Weather from ${last.name}: ${last.content}` };
  if (Array.isArray(body.functions) && body.function_call !== "none") return { text: "", call: { name: "get_weather", arguments: { city: "Paris" } } };
  return { text: `echo: ${last.content}` };
}

function answerChat(body: Record<string, unknown>, res: ServerResponse): void {
  const { text, call } = reply(body);
  const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, precached_prompt_tokens: 0 };
  const created = Math.floor(Date.now() / 1000);
  const message = call ? { role: "assistant", content: "", function_call: call, functions_state_id: STATE_ID } : { role: "assistant", content: text };
  const finish = call ? "function_call" : "stop";
  if (body.stream !== true) {
    json(res, 200, { choices: [{ message, index: 0, finish_reason: finish }], created, model: MODEL, object: "chat.completion", usage });
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ choices: [{ delta, index: 0, ...extra }], created, model: MODEL, object: "chat.completion" })}\n\n`;
  if (call) {
    res.write(chunk({ content: "", role: "assistant", function_call: call, functions_state_id: STATE_ID }, { finish_reason: "function_call" }));
  } else {
    const words = text.split(/(?<= )/);
    for (const w of words) res.write(chunk({ content: w, role: "assistant" }));
    res.write(
      `data: ${JSON.stringify({ choices: [{ delta: { content: "" }, index: 0, finish_reason: "stop" }], created, model: MODEL, object: "chat.completion", usage })}\n\n`,
    );
  }
  res.end("data: [DONE]\n\n");
}

export async function startFakeGigaChat(pki: Pki): Promise<FakeGigaChat> {
  let issued = 0;
  const fake: FakeGigaChat = { origin: "", oauth: [], chats: [], valid: new Set(), lifetimeMs: 30 * 60_000, requireToken: true, close: async () => undefined };
  const server = createServer(
    { key: readFileSync(pki.serverKey), cert: readFileSync(pki.serverCert), ca: readFileSync(pki.caCert), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      void read(req).then((body) => {
        if (req.url === "/api/v2/oauth") {
          fake.oauth.push({ authorization: req.headers.authorization, rqUid: req.headers.rquid as string | undefined, body });
          if (fake.oauthAnswer) return fake.oauthAnswer(res);
          if (req.headers.authorization !== `Basic ${Buffer.from("client-id:client-secret").toString("base64")}`) {
            return json(res, 401, { code: 6, message: "credentials doesn't match db data" });
          }
          const token = `tok-${++issued}`;
          fake.valid.add(token);
          return json(res, 200, { access_token: token, expires_at: Date.now() + fake.lifetimeMs });
        }
        if (req.url === "/api/v1/chat/completions") {
          const parsed = JSON.parse(body) as Record<string, unknown>;
          fake.chats.push({ authorization: req.headers.authorization, json: parsed });
          const token = req.headers.authorization?.replace(/^Bearer /, "");
          if (fake.requireToken && (!token || !fake.valid.has(token))) return json(res, 401, { status: 401, message: "Token has expired" });
          if (fake.chatAnswer?.(parsed, res)) return;
          return answerChat(parsed, res);
        }
        json(res, 404, { status: 404, message: "Not found" });
      });
    },
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  fake.origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return fake;
}
