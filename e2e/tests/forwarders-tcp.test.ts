// The TCP forwarder (yaLLMproxy's `forwarder_settings`), in the proxy's own process: bytes to a
// loopback echo server and back unchanged, a large payload against a reader that stalls (the
// forwarder's memory stays flat: backpressure reaches the sender), FORWARD_* overrides, the
// connection cap and idle timeout, a port already taken, and a SIGTERM with a connection open.

import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type EchoServer, connectTo, freePort, proxyWithForwarders, refused, rssOf, startEcho } from "../lib/forwarding.js";
import { type ProxyProcess, sleep } from "../lib/harness.js";

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function echo(): Promise<EchoServer> {
  const e = await startEcho();
  cleanups.push(e.close);
  return e;
}

function proxy(yaml: string, env: Record<string, string> = {}): Promise<ProxyProcess> {
  return proxyWithForwarders(yaml, env, (kill) => cleanups.push(kill));
}

/** Whether the proxy's output comes to hold `text` (within 10 s: its log is written asynchronously, and CI machines are loaded). */
async function outputHas(p: ProxyProcess, text: string): Promise<boolean> {
  for (let i = 0; i < 100 && !p.output().includes(text); i++) await sleep(100);
  return p.output().includes(text);
}

/** Sends `bytes` and resolves with everything read back until the other side ends. */
async function roundTrip(s: Socket, bytes: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  s.on("data", (c: Buffer) => chunks.push(c));
  s.end(bytes);
  await once(s, "end");
  return Buffer.concat(chunks);
}

describe("TCP forwarder", () => {
  it("joins each connection to the target byte for byte, and a half-close reaches the target", async () => {
    const e = await echo();
    const port = await freePort();
    const p = await proxy(
      `forwarder_settings:\n  enabled: true\n  listen: { host: 127.0.0.1, port: ${port} }\n  target: { host: 127.0.0.1, port: ${e.port} }\n`,
    );
    const bytes = randomBytes(300_000);
    const [a, b] = await Promise.all([roundTrip(await connectTo(port), bytes), roundTrip(await connectTo(port), Buffer.from("second"))]);
    expect(a.equals(bytes)).toBe(true);
    expect(b.toString()).toBe("second");
    expect(p.output()).toContain(`; forwarding tcp://127.0.0.1:${port}`);
    expect(await outputHas(p, '"msg":"forwarder listening"')).toBe(true);
  });

  it("holds a sender back while its reader stalls: 96 MB through, the forwarder's memory flat", async () => {
    const e = await echo();
    const port = await freePort();
    const p = await proxy(
      `forwarder_settings:\n  enabled: true\n  listen: { host: 127.0.0.1, port: ${port} }\n  target: { host: 127.0.0.1, port: ${e.port} }\n`,
    );
    const pid = p.child.pid as number;
    const payload = randomBytes(96 * 1024 * 1024);
    const s = await connectTo(port);
    s.pause();
    await sleep(300);
    const rssBefore = rssOf(pid);
    let written = 0;
    const writing = (async () => {
      for (let at = 0; at < payload.length; at += 65536) {
        const chunk = payload.subarray(at, at + 65536);
        if (!s.write(chunk)) await once(s, "drain");
        written += chunk.length;
      }
      s.end();
    })();
    // The reader reads nothing for two seconds: the sender must be held back, not buffered for.
    let peak = 0;
    for (let i = 0; i < 10; i++) {
      await sleep(200);
      peak = Math.max(peak, rssOf(pid) - rssBefore);
    }
    expect(written).toBeLessThan(payload.length / 2);
    expect(peak).toBeLessThan(40 * 1024 * 1024);
    const hash = createHash("sha256");
    let received = 0;
    s.on("data", (c: Buffer) => {
      hash.update(c);
      received += c.length;
    });
    s.resume();
    await Promise.all([writing, once(s, "end")]);
    expect(received).toBe(payload.length);
    expect(hash.digest("hex")).toBe(createHash("sha256").update(payload).digest("hex"));
  }, 90_000);

  it("FORWARD_* variables override the file and FORWARD_ENABLED starts it", async () => {
    const e = await echo();
    const [filePort, envPort] = [await freePort(), await freePort()];
    await proxy(`forwarder_settings:\n  listen: { host: 127.0.0.1, port: ${filePort} }\n  target: { host: 127.0.0.1, port: 1 }\n`, {
      FORWARD_ENABLED: "true",
      FORWARD_LISTEN_PORT: String(envPort),
      FORWARD_TARGET_PORT: String(e.port),
      FORWARD_BUF_SIZE: "16384",
    });
    expect((await roundTrip(await connectTo(envPort), Buffer.from("via env"))).toString()).toBe("via env");
    expect(await refused(filePort)).toBe(true);
  });

  it("an unreachable target ends that client's connection only", async () => {
    const [port, dead] = [await freePort(), await freePort()];
    const p = await proxy(`forwarder_settings:\n  enabled: true\n  listen: { host: 127.0.0.1, port: ${port} }\n  target: { host: 127.0.0.1, port: ${dead} }\n`);
    const s = await connectTo(port);
    s.on("error", () => {});
    await once(s, "close");
    expect(await outputHas(p, "tcp forwarder: connection failed")).toBe(true);
    expect(p.output()).toMatch(/"err":"connect ECONNREFUSED[^"]*".*"msg":"tcp forwarder: connection failed"/);
    expect((await fetch(`${p.url}/health`)).ok).toBe(true);
    // A client whose bytes reached the forwarder before the target failed may see a reset rather than
    // an end (the kernel resets a socket closed with unread data): either way it is ended, answered nothing.
    const second = await connectTo(port);
    second.on("error", () => {});
    const answered: Buffer[] = [];
    second.on("data", (c: Buffer) => answered.push(c));
    second.end("x");
    await once(second, "close");
    expect(Buffer.concat(answered).length).toBe(0);
  });

  it("caps connections at max_connections and cuts one silent for idle_timeout_seconds", async () => {
    const e = await echo();
    const port = await freePort();
    await proxy(
      `forwarder_settings:\n  enabled: true\n  max_connections: 2\n  idle_timeout_seconds: 1\n  listen: { host: 127.0.0.1, port: ${port} }\n  target: { host: 127.0.0.1, port: ${e.port} }\n`,
    );
    const [a, b] = [await connectTo(port), await connectTo(port)];
    await sleep(200);
    const c = await connectTo(port);
    c.on("error", () => {});
    await once(c, "close");
    const echoed = once(a, "data");
    a.write("a");
    expect(String((await echoed)[0])).toBe("a");
    const t0 = Date.now();
    await Promise.all([once(a, "close"), once(b, "close")]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
  });

  it("stops start-up, naming the section, when its port is taken", async () => {
    const e = await echo();
    await expect(proxy(`forwarder_settings:\n  enabled: true\n  listen: { host: 127.0.0.1, port: ${e.port} }\n  target: { port: 1 }\n`)).rejects.toThrow(
      `forwarder_settings: cannot listen on 127.0.0.1:${e.port} (EADDRINUSE)`,
    );
  });

  it("on SIGTERM stops accepting at once, lets an open connection work through the grace period, then ends it", async () => {
    const e = await echo();
    const port = await freePort();
    const p = await proxy(
      `proxy_settings: { server: { shutdown_grace_seconds: 1.5 } }\nforwarder_settings:\n  enabled: true\n  listen: { host: 127.0.0.1, port: ${port} }\n  target: { host: 127.0.0.1, port: ${e.port} }\n`,
    );
    const s = await connectTo(port);
    const seen: string[] = [];
    s.on("data", (c: Buffer) => seen.push(c.toString()));
    const closed = once(s, "close");
    const exited = once(p.child, "exit");
    const t0 = Date.now();
    p.child.kill("SIGTERM");
    await sleep(300);
    expect(await refused(port)).toBe(true);
    s.write("still here");
    await sleep(300);
    expect(seen.join("")).toBe("still here");
    await closed;
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(6000);
  });
});
