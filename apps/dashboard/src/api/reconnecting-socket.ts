// The dashboard's one WebSocket helper: reconnects with capped exponential backoff and full jitter,
// and returns a dispose function. Callers get each text frame and every (re)open.

export type SocketStatus = "connecting" | "open" | "closed";

export interface ReconnectingSocketOptions {
  url: string;
  onOpen?: (send: (message: unknown) => void) => void;
  onMessage: (data: string) => void;
  onStatus?: (status: SocketStatus) => void;
  /** Called after this many failed attempts in a row (e.g. to re-check the session). */
  onRepeatedFailure?: (failures: number) => void;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface ReconnectingSocket {
  send: (message: unknown) => void;
  dispose: () => void;
}

export function createReconnectingSocket(opts: ReconnectingSocketOptions): ReconnectingSocket {
  const base = opts.baseDelayMs ?? 500;
  const max = opts.maxDelayMs ?? 15_000;
  let ws: WebSocket | null = null;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;

  const send = (message: unknown) => {
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  };

  const connect = () => {
    if (disposed) return;
    opts.onStatus?.("connecting");
    const socket = new WebSocket(opts.url);
    ws = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      failures = 0;
      opts.onStatus?.("open");
      opts.onOpen?.(send);
    };
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data === "string") opts.onMessage(event.data);
    };
    socket.onclose = () => {
      if (ws === socket) ws = null;
      if (disposed) return;
      opts.onStatus?.("closed");
      if (!opened) {
        failures += 1;
        if (failures % 3 === 0) opts.onRepeatedFailure?.(failures);
      }
      // Full jitter: a random wait up to the capped exponential delay, so many tabs do not reconnect in step.
      const ceiling = Math.min(max, base * 2 ** Math.min(failures, 10));
      timer = setTimeout(connect, Math.random() * ceiling);
    };
    // An error is always followed by close, where the retry is scheduled.
    socket.onerror = () => undefined;
  };

  connect();
  return {
    send,
    dispose: () => {
      disposed = true;
      clearTimeout(timer);
      const socket = ws;
      ws = null;
      if (socket) {
        socket.onclose = null;
        socket.onmessage = null;
        socket.onopen = null;
        // Closing a socket that is still connecting logs a browser warning; close it once it opens.
        if (socket.readyState === WebSocket.CONNECTING) socket.onopen = () => socket.close();
        else socket.close();
      }
    },
  };
}

/** `ws://host/admin/ws` for the page's own origin. */
export function adminSocketUrl(path = "/admin/ws"): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss:" : "ws:"}//${host}${path}`;
}
