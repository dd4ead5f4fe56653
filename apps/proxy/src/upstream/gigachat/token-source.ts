// GigaChat's OAuth client-credentials tokens: fetched from `auth_url` with the authorization key as
// Basic auth, a fresh `RqUID` and the `scope`, kept until shortly before `expires_at`. Requests
// that need a token while one is being fetched wait for that fetch (one fetch, not one per request).

import { randomUUID } from "node:crypto";
import { type Dispatcher, request } from "undici";
import { isObject } from "./gigachat-api.js";

/** A token this close to its expiry is replaced before use. */
const REFRESH_BEFORE_MS = 30_000;
/** Without `expires_at`, GigaChat's tokens last 30 minutes: assume a little less. */
const DEFAULT_LIFETIME_MS = 25 * 60_000;
const MAX_ANSWER_BYTES = 64 * 1024;
const FETCH_TIMEOUT_MS = 15_000;

/** The token could not be had: the model answers 502 with this message (which names no secret). */
export class GigaChatAuthError extends Error {}

interface Entry {
  token?: string;
  expiresAtMs: number;
  fetching?: Promise<string>;
}

interface TokenRequest {
  key: string;
  authUrl: string;
  apiKey: string;
  scope: string;
  dispatcher: Dispatcher;
}

export class GigaChatTokens {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A token valid for a while yet: the cached one, or the one being fetched, or a new fetch. */
  get(req: TokenRequest): Promise<string> {
    let entry = this.entries.get(req.key);
    if (!entry) {
      entry = { expiresAtMs: 0 };
      this.entries.set(req.key, entry);
    }
    if (entry.token && this.now() < entry.expiresAtMs - REFRESH_BEFORE_MS) return Promise.resolve(entry.token);
    if (entry.fetching) return entry.fetching;
    const own = entry;
    own.fetching = this.fetch(req)
      .then(({ token, expiresAtMs }) => {
        own.token = token;
        own.expiresAtMs = expiresAtMs;
        return token;
      })
      .finally(() => {
        own.fetching = undefined;
      });
    return own.fetching;
  }

  /** GigaChat refused `token`: forget it, unless a newer one already replaced it. */
  invalidate(key: string, token: string): void {
    const entry = this.entries.get(key);
    if (entry?.token === token) {
      entry.token = undefined;
      entry.expiresAtMs = 0;
    }
  }

  private async fetch(req: TokenRequest): Promise<{ token: string; expiresAtMs: number }> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(req.authUrl, {
        method: "POST",
        dispatcher: req.dispatcher,
        headers: {
          accept: "application/json",
          "content-type": "application/x-www-form-urlencoded",
          rquid: randomUUID(),
          authorization: `Basic ${req.apiKey}`,
        },
        body: new URLSearchParams({ scope: req.scope }).toString(),
        headersTimeout: FETCH_TIMEOUT_MS,
        bodyTimeout: FETCH_TIMEOUT_MS,
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (err) {
      throw new GigaChatAuthError(`GigaChat token request to ${req.authUrl} failed: ${(err as Error).message}`);
    }
    const text = await readLimited(res.body, MAX_ANSWER_BYTES);
    if (text === undefined) throw new GigaChatAuthError(`GigaChat token answer is larger than ${MAX_ANSWER_BYTES} bytes or broke off`);
    if (res.statusCode !== 200) throw new GigaChatAuthError(`GigaChat token request answered ${res.statusCode}: ${oauthMessage(text)}`);
    return this.tokenOf(text);
  }

  private tokenOf(text: string): { token: string; expiresAtMs: number } {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new GigaChatAuthError("GigaChat token answer is not JSON");
    }
    if (!isObject(data) || typeof data.access_token !== "string" || !data.access_token || /[\r\n]/.test(data.access_token)) {
      throw new GigaChatAuthError("GigaChat token answer has no access_token");
    }
    const expires = data.expires_at;
    if (expires !== undefined && (typeof expires !== "number" || !Number.isFinite(expires))) {
      throw new GigaChatAuthError("GigaChat token answer's expires_at is not a number");
    }
    // `expires_at` is in milliseconds; a value in seconds is read as such, as yaLLMproxy does.
    const expiresAtMs = expires === undefined ? this.now() + DEFAULT_LIFETIME_MS : expires > 10_000_000_000 ? expires : expires * 1000;
    return { token: data.access_token, expiresAtMs };
  }
}

/** OAuth's own error text, short: `{code, message}` from GigaChat, else the body's first characters. */
function oauthMessage(text: string): string {
  try {
    const data: unknown = JSON.parse(text);
    if (isObject(data) && typeof data.message === "string") return data.message.slice(0, 300);
  } catch {
    // Not JSON.
  }
  return text.slice(0, 300) || "(no body)";
}

/** The body as text, or undefined past `limit` bytes or when it broke off. */
export async function readLimited(body: AsyncIterable<Buffer | string> & { destroy?: () => void }, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > limit) {
        body.destroy?.();
        return undefined;
      }
      chunks.push(buf);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks).toString("utf8");
}
