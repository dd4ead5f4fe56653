// What GigaChat backends share across config reloads: one TLS connection pool per certificate set
// (client certificate for mTLS, a CA, or verification off) and the OAuth token cache.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent } from "undici";
import type { GigaChatSettings } from "../../config/gigachat-config.js";
import { GigaChatTokens } from "./token-source.js";

const POOL_OPTIONS = { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connections: 128 };
const CONNECT_TIMEOUT_MS = 10_000;

/** A PEM file that cannot be read: the model answers 502 with this, naming the setting, not the contents. */
export class GigaChatTlsError extends Error {}

export class GigaChatClients {
  readonly tokens = new GigaChatTokens();
  private readonly agents = new Map<string, Agent>();

  /** The pool for these TLS settings; the files are read when it is first made. */
  agentFor(s: GigaChatSettings): Agent {
    const key = JSON.stringify([s.clientCert, s.clientKey, s.caCert, s.verifySsl]);
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({
        ...POOL_OPTIONS,
        connect: {
          timeout: CONNECT_TIMEOUT_MS,
          rejectUnauthorized: s.verifySsl,
          ...(s.clientCert ? { cert: pem(s.clientCert, "client_cert") } : {}),
          ...(s.clientKey ? { key: pem(s.clientKey, "client_key") } : {}),
          ...(s.caCert ? { ca: pem(s.caCert, "ca_cert") } : {}),
        },
      });
      this.agents.set(key, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close()));
    this.agents.clear();
  }
}

function pem(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new GigaChatTlsError(`GigaChat ${setting} file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/** The token cache's key: the same credentials at the same OAuth endpoint share one token. */
export function credentialsKey(s: GigaChatSettings, apiKey: string): string {
  const secret = createHash("sha256").update(apiKey).digest("hex");
  return JSON.stringify([s.authUrl, s.scope, secret, s.clientCert, s.caCert, s.verifySsl]);
}
