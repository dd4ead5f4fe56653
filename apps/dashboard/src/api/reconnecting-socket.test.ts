// The dashboard's WebSocket helper against a real loopback WebSocket server: messages both ways,
// reconnecting after a drop, backoff that grows to its cap, the repeated-failure hook, and dispose.

import { once } from "node:events";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket as UndiciWebSocket } from "undici";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type WebSocket as ServerSocket, WebSocketServer } from "ws";
import { type ReconnectingSocket, type SocketStatus, createReconnectingSocket } from "./reconnecting-socket";

// Node 20 has no global WebSocket (22 and later do); undici's is the same implementation.
beforeAll(() => {
  globalThis.WebSocket ??= UndiciWebSocket as unknown as typeof WebSocket;
});

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A WebSocket server on loopback; while `refuse` is set it answers every upgrade with 403. */
async function serve(opts: { refuse?: boolean } = {}) {
  const http: Server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  const sockets: ServerSocket[] = [];
  const received: string[] = [];
  const attempts: number[] = [];
  http.on("upgrade", (req, socket, head) => {
    attempts.push(performance.now());
    if (opts.refuse) {
      socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      ws.on("message", (data) => received.push(String(data)));
      wss.emit("connection", ws);
    });
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  cleanups.push(async () => {
    for (const ws of sockets) ws.terminate();
    wss.close();
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  });
  return { url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/admin/ws`, sockets, received, attempts, opts };
}

function open(opts: Omit<Parameters<typeof createReconnectingSocket>[0], "onMessage"> & { onMessage?: (d: string) => void }): ReconnectingSocket {
  const s = createReconnectingSocket({ onMessage: () => {}, ...opts });
  cleanups.push(() => s.dispose());
  return s;
}

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("createReconnectingSocket", () => {
  it("sends JSON once open and hands over each text frame", async () => {
    const server = await serve();
    const statuses: SocketStatus[] = [];
    const messages: string[] = [];
    const socket = open({
      url: server.url,
      onStatus: (s) => statuses.push(s),
      onOpen: (send) => send({ type: "subscribe" }),
      onMessage: (d) => messages.push(d),
    });
    // Before the socket opens, a send is dropped rather than thrown.
    socket.send({ type: "too-early" });
    await until(() => server.received.length === 1);
    expect(server.received).toEqual(['{"type":"subscribe"}']);
    expect(statuses).toEqual(["connecting", "open"]);
    socket.send({ n: 1 });
    server.sockets[0]!.send(Buffer.from("binary is ignored"), { binary: true });
    server.sockets[0]!.send('{"type":"hello"}');
    await until(() => messages.length === 1 && server.received.length === 2);
    expect(messages).toEqual(['{"type":"hello"}']);
    expect(server.received[1]).toBe('{"n":1}');
  });

  it("reconnects after the server drops it, and opens again", async () => {
    const server = await serve();
    const statuses: SocketStatus[] = [];
    let opens = 0;
    open({ url: server.url, baseDelayMs: 10, maxDelayMs: 20, onStatus: (s) => statuses.push(s), onOpen: () => (opens += 1) });
    await until(() => opens === 1);
    server.sockets[0]!.terminate();
    await until(() => opens === 2);
    expect(statuses).toEqual(["connecting", "open", "closed", "connecting", "open"]);
    expect(server.attempts).toHaveLength(2);
  });

  it("waits longer after each failure up to the cap, and reports every third failure", async () => {
    // The jitter's random factor at its top, so each wait is the ceiling itself. A loaded machine
    // only adds time, so the checks are lower bounds, and a loose upper one for the cap.
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    const server = await serve({ refuse: true });
    const reported: number[] = [];
    open({ url: server.url, baseDelayMs: 100, maxDelayMs: 400, onRepeatedFailure: (n) => reported.push(n) });
    await until(() => server.attempts.length >= 7, 15_000);
    const gaps = server.attempts.slice(1).map((t, i) => t - server.attempts[i]!);
    // Ceilings 200, then the 400 ms cap (uncapped, the fourth would be 1600 ms).
    expect(gaps[0]).toBeGreaterThanOrEqual(195);
    expect(gaps[1]).toBeGreaterThanOrEqual(395);
    expect(gaps[3]).toBeLessThan(1_400);
    expect(reported.slice(0, 2)).toEqual([3, 6]);
  });

  it("starts the backoff over after a successful open", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    const server = await serve({ refuse: true });
    let opens = 0;
    open({ url: server.url, baseDelayMs: 100, maxDelayMs: 60_000, onOpen: () => (opens += 1) });
    // Three failures: without the reset, the next wait would be 100 · 2³ = 800 ms.
    await until(() => server.attempts.length === 3);
    server.opts.refuse = false;
    await until(() => opens === 1);
    server.sockets[0]!.terminate();
    const dropped = performance.now();
    await until(() => opens === 2);
    // The failures were forgotten on open: the wait is about 100 ms again.
    expect(performance.now() - dropped).toBeLessThan(600);
  });

  it("stops for good on dispose, also while still connecting", async () => {
    const server = await serve();
    let opens = 0;
    const socket = open({ url: server.url, baseDelayMs: 10, maxDelayMs: 10, onOpen: () => (opens += 1) });
    await until(() => opens === 1);
    socket.dispose();
    await until(() => server.sockets[0]!.readyState === server.sockets[0]!.CLOSED);
    // Disposed before it opened: the socket is closed once the server accepts it.
    const early = open({ url: server.url, onOpen: () => (opens += 1) });
    early.dispose();
    await until(() => server.sockets.length === 2 && server.sockets[1]!.readyState === server.sockets[1]!.CLOSED);
    await new Promise((r) => setTimeout(r, 100));
    expect(opens).toBe(1);
    expect(server.attempts).toHaveLength(2);
  });
});
