// What the proxy holds of a running forwarder, and the log it writes to.

export interface ForwarderLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RunningForwarder {
  kind: "tcp" | "http";
  /** The port it listens on (the one asked for, or the one given for port 0). */
  port: number;
  /** Where it listens, for the start-up log line. */
  url: string;
  /** Stops accepting at once; resolves once every connection has ended (cut after `graceMs`). */
  close(graceMs: number): Promise<void>;
}
