// A custom tool's freeform input, read as it streams out of the function arguments a backend writes
// (`{"input":"…"}`), so the client gets `response.custom_tool_call_input.delta` events as the text
// comes. Arguments of another shape are held and read whole at the end.

import { customInputOf } from "./client-tools.js";

const OPENING = /^\s*\{\s*"input"\s*:\s*"/;
/** A prefix that may still grow into OPENING. */
const MAY_OPEN = /^\s*(\{\s*("(i(n(p(u(t("\s*(:\s*)?)?)?)?)?)?)?)?)?$/;

const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

export class CustomInputStream {
  private state: "opening" | "string" | "after" | "whole" = "opening";
  private args = "";
  /** Text of the string not decoded yet (an escape cut by a chunk boundary). */
  private pending = "";
  private value = "";

  /** Takes the next arguments chunk; returns the input text it adds (maybe empty). */
  push(chunk: string): string {
    this.args += chunk;
    if (this.state === "opening") {
      const m = OPENING.exec(this.args);
      if (!m) {
        if (!MAY_OPEN.test(this.args)) this.state = "whole";
        return "";
      }
      this.state = "string";
      return this.decode(this.args.slice(m[0].length));
    }
    return this.state === "string" ? this.decode(chunk) : "";
  }

  /** The whole input: what was streamed when the arguments had the expected shape, else read from them. */
  result(): string {
    return this.state === "string" || this.state === "after" ? this.value : customInputOf(this.args);
  }

  /** Whether any input was streamed (then `result()` is their concatenation). */
  get streamed(): boolean {
    return this.state === "string" || this.state === "after";
  }

  private decode(text: string): string {
    const s = this.pending + text;
    this.pending = "";
    let out = "";
    let i = 0;
    while (i < s.length) {
      const c = s[i]!;
      if (c === '"') {
        this.state = "after";
        break;
      }
      if (c !== "\\") {
        out += c;
        i += 1;
        continue;
      }
      const next = s[i + 1];
      if (next === undefined) {
        this.pending = s.slice(i);
        break;
      }
      if (next === "u") {
        const hex = s.slice(i + 2, i + 6);
        if (hex.length < 4) {
          this.pending = s.slice(i);
          break;
        }
        out += String.fromCharCode(Number.parseInt(hex, 16) || 0);
        i += 6;
        continue;
      }
      out += ESCAPES[next] ?? next;
      i += 2;
    }
    this.value += out;
    return out;
  }
}
