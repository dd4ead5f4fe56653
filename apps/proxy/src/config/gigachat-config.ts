// `api_type: gigachat` settings, read as yaLLMproxy reads them: `cloud` mode takes an OAuth token for
// `api_key` (the base64 authorization key, `client_id:client_secret`) and `scope`; `local` mode is
// reached with a client certificate only. A certificate given in cloud mode is presented too (mTLS).

import type { RawModelEntry } from "./schema.js";

export const GIGACHAT_DEFAULT_BASE = "https://gigachat.devices.sberbank.ru/api/v1";
const GIGACHAT_DEFAULT_AUTH_URL = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth";
const DEFAULT_SCOPE = "GIGACHAT_API_CORP";

export interface GigaChatSettings {
  mode: "cloud" | "local";
  authUrl: string;
  scope: string;
  /** PEM file paths, read when the backend is made. */
  clientCert: string | undefined;
  clientKey: string | undefined;
  caCert: string | undefined;
  verifySsl: boolean;
  emulateToolCalls: boolean;
}

type Params = RawModelEntry["model_params"];

function text(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

/** The authorization key: `api_key` as given, else base64 of `client_id:client_secret`. */
export function gigachatAuthKeyOf(p: Params): string | undefined {
  const id = text(p.client_id);
  const secret = text(p.client_secret);
  return text(p.api_key) ?? (id && secret ? Buffer.from(`${id}:${secret}`).toString("base64") : undefined);
}

/**
 * The model's GigaChat settings; undefined when they do not make a usable backend. Missing credentials
 * (an unset `${GIGACHAT_API_KEY}`) leave the model unserved with a warning, as yaLLMproxy skips it.
 */
export function gigachatSettingsOf(p: Params, where: string, name: string, problems: string[], warnings: string[]): GigaChatSettings | undefined {
  const apiKey = gigachatAuthKeyOf(p);
  const scope = text(p.scope) ?? DEFAULT_SCOPE;
  const clientCert = text(p.client_cert);
  const clientKey = text(p.client_key);
  const at = `${where}.model_params`;
  const label = `${where} (${name})`;
  const mode = modeOf(text(p.mode), Boolean(apiKey), Boolean(clientCert && clientKey), label, warnings);
  if (!mode) return undefined;
  const authUrl = text(p.auth_url) ?? GIGACHAT_DEFAULT_AUTH_URL;
  const missing: string[] = [];
  if (mode === "cloud" && !apiKey) missing.push("api_key");
  if (mode === "local" && !clientCert) missing.push("client_cert");
  if (mode === "local" && !clientKey) missing.push("client_key");
  if (missing.length) {
    warnings.push(`${label}: GigaChat ${mode} mode is missing ${missing.join(", ")}; model not served`);
    return undefined;
  }
  if (clientCert && !clientKey) {
    warnings.push(`${label}: GigaChat client_cert is set without client_key; model not served`);
    return undefined;
  }
  if (mode === "cloud" && !/^https?:\/\//i.test(authUrl)) problems.push(`${at}.auth_url: not an http(s) URL: "${authUrl}"`);
  return {
    mode,
    authUrl,
    scope,
    clientCert,
    clientKey,
    caCert: text(p.ca_cert),
    verifySsl: p.verify_ssl ?? true,
    emulateToolCalls: p.emulate_tool_calls ?? false,
  };
}

function modeOf(raw: string | undefined, hasCloud: boolean, hasLocal: boolean, label: string, warnings: string[]): GigaChatSettings["mode"] | undefined {
  if (raw) {
    const mode = raw.toLowerCase();
    if (mode === "cloud" || mode === "local") return mode;
    warnings.push(`${label}: GigaChat mode must be "cloud" or "local", not "${raw}"; model not served`);
    return undefined;
  }
  if (hasCloud && hasLocal) {
    warnings.push(
      `${label}: both GigaChat cloud (api_key) and local (client_cert, client_key) credentials are set; set mode to "cloud" or "local"; model not served`,
    );
    return undefined;
  }
  if (hasLocal) return "local";
  if (hasCloud) return "cloud";
  warnings.push(`${label}: GigaChat credentials are not set: api_key (and scope) for cloud mode, client_cert and client_key for local mode; model not served`);
  return undefined;
}
