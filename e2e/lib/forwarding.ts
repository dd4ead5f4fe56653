// Loopback pieces for the forwarder tests: a proxy process with its forwarders up, free ports, a
// TCP echo server, a process's resident memory, and a self-signed certificate made by the openssl CLI.

import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { type AddressInfo, type Server, type Socket, connect, createServer } from "node:net";
import { join } from "node:path";
import { type ProxyProcess, sleep, spawnProxy } from "./harness.js";

/**
 * A proxy process on a mock model plus `yaml`, once its forwarders listen: /health answers once the
 * proxy does, the banner once the forwarders do too (a loaded CI machine has taken over 5 s).
 * `track` gets its kill, for the test's cleanup.
 */
export async function proxyWithForwarders(yaml: string, env: Record<string, string>, track: (kill: () => Promise<void>) => void): Promise<ProxyProcess> {
  const p = await spawnProxy(`model_list: [{ model_name: m, model_params: { api_type: mock } }]\n${yaml}`, env);
  track(() => p.kill("SIGKILL"));
  for (let i = 0; i < 200 && !p.output().includes("yaLLMproxy listening on"); i++) await sleep(100);
  if (!p.output().includes("yaLLMproxy listening on")) throw new Error(`the proxy never printed its banner:\n${p.output()}`);
  return p;
}

export async function freePort(): Promise<number> {
  const srv = createServer().listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface EchoServer {
  port: number;
  close(): Promise<void>;
}

/** Writes back every byte it reads, with backpressure (pipe), and ends when its client does. */
export async function startEcho(): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    s.pipe(s);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export async function connectTo(port: number): Promise<Socket> {
  const s = connect({ host: "127.0.0.1", port });
  await once(s, "connect");
  return s;
}

/** Whether a connection to `port` is refused (nothing listens). */
export async function refused(port: number): Promise<boolean> {
  const s = connect({ host: "127.0.0.1", port });
  try {
    await once(s, "connect");
    s.destroy();
    return false;
  } catch {
    return true;
  }
}

/** Resident memory of a process, in bytes (Linux). */
export function rssOf(pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(line?.[1] ?? 0) * 1024;
}

/** A self-signed certificate for localhost and 127.0.0.1, made with the openssl CLI in `dir`. */
export function makeCertificate(dir: string): { cert: string; key: string; certPem: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  return { cert, key, certPem: readFileSync(cert, "utf8") };
}
