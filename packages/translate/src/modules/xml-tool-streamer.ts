// Streams the arguments of a `<function=name><parameter=k>v</parameter></function>` tool block
// (Qwen3's form) as JSON text while the model is still writing it, so a client sees
// `function.arguments` grow instead of waiting for `</tool_call>`. A block in another form
// disables the streamer; the caller then parses the whole block when it closes.

import { heldPrefixLength } from "./tag-prefix.js";

/** One piece of a streamed call: the first carries the name. */
export interface ToolArgsChunk {
  name?: string;
  args: string;
  finished?: boolean;
}

const FUNCTION_OPEN = /^\s*<function\s*=\s*([A-Za-z_][\w.-]*)\s*>/;
const PARAMETER_OPEN = /^\s*<parameter\s*=\s*([^>\s]+)\s*>/;
const PARAMETER_CLOSE = "</parameter>";
const FUNCTION_CLOSE = "</function>";

type Phase = "function" | "between" | "value" | "done";

function jsonFragment(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** A held value as JSON: itself when it parses, else as a string. */
function jsonValue(text: string): string {
  const t = text.trim();
  try {
    return JSON.stringify(JSON.parse(t));
  } catch {
    return JSON.stringify(t);
  }
}

/** A tag still open after this many characters is not one of the tags the streamer reads. */
const MAX_TAG = 256;

export class XmlToolStreamer {
  private phase: Phase = "function";
  private buffer = "";
  private name = "";
  private emittedName = false;
  private firstParameter = true;
  /** Value text held back: trailing whitespace (trimmed at the close), or a whole JSON value. */
  private held = "";
  private valueMode: "pending" | "string" | "json" = "pending";
  disabled = false;

  /** `limit`: the most value text held back at once (a JSON value past it goes on as a string). */
  constructor(private readonly limit: number) {}

  /** Whether any part of a call went out (the caller then must not parse the block again). */
  get emitted(): boolean {
    return this.emittedName;
  }

  get finished(): boolean {
    return this.phase === "done";
  }

  feed(text: string): ToolArgsChunk[] {
    const out: ToolArgsChunk[] = [];
    if (this.disabled || text === "") return out;
    this.buffer += text;
    while (this.buffer !== "" && !this.disabled && this.step(out));
    return out;
  }

  /** One step of the state machine; false when it needs more text. */
  private step(out: ToolArgsChunk[]): boolean {
    switch (this.phase) {
      case "function":
        return this.readFunctionOpen();
      case "between":
        return this.readBetween(out);
      case "value":
        return this.readValue(out);
      case "done":
        this.buffer = "";
        return false;
    }
  }

  private readFunctionOpen(): boolean {
    const m = FUNCTION_OPEN.exec(this.buffer);
    if (!m) {
      const s = this.buffer.trimStart();
      if (s.length > MAX_TAG || !(s.startsWith("<function") ? !s.includes(">") : "<function".startsWith(s))) this.disabled = true;
      return false;
    }
    this.name = m[1] ?? "";
    this.buffer = this.buffer.slice(m[0].length);
    this.phase = "between";
    return true;
  }

  private open(out: ToolArgsChunk[], args: string): void {
    if (this.emittedName) out.push({ args });
    else {
      out.push({ name: this.name, args });
      this.emittedName = true;
    }
  }

  private readBetween(out: ToolArgsChunk[]): boolean {
    const s = this.buffer.trimStart();
    if (s === "") {
      this.buffer = "";
      return false;
    }
    const dup = FUNCTION_OPEN.exec(s);
    if (dup) {
      // Qwen sometimes repeats the opening tag; another name means this is not one call.
      if (dup[1] !== this.name) this.disabled = true;
      this.buffer = s.slice(dup[0].length);
      return !this.disabled;
    }
    if (s.startsWith(FUNCTION_CLOSE)) {
      this.buffer = s.slice(FUNCTION_CLOSE.length);
      if (this.emittedName) out.push({ args: "}", finished: true });
      else {
        out.push({ name: this.name, args: "{}", finished: true });
        this.emittedName = true;
      }
      this.phase = "done";
      return true;
    }
    if (!s.startsWith("<parameter")) {
      if ("<parameter".startsWith(s) || FUNCTION_CLOSE.startsWith(s)) this.buffer = s;
      else this.disabled = true;
      return false;
    }
    const m = PARAMETER_OPEN.exec(s);
    if (!m) {
      if (s.includes(">") || s.length > MAX_TAG) this.disabled = true;
      this.buffer = s;
      return false;
    }
    const key = JSON.stringify((m[1] ?? "").trim());
    this.open(out, this.emittedName ? `${this.firstParameter ? "" : ","}${key}:` : `{${key}:`);
    this.firstParameter = false;
    this.buffer = s.slice(m[0].length);
    this.held = "";
    this.valueMode = "pending";
    this.phase = "value";
    return true;
  }

  private readValue(out: ToolArgsChunk[]): boolean {
    const close = this.buffer.indexOf(PARAMETER_CLOSE);
    if (close === -1) {
      const keep = heldPrefixLength(this.buffer, PARAMETER_CLOSE);
      this.appendValue(this.buffer.slice(0, this.buffer.length - keep), out);
      this.buffer = this.buffer.slice(this.buffer.length - keep);
      return false;
    }
    this.appendValue(this.buffer.slice(0, close), out);
    const rest = this.held.trimEnd();
    if (this.valueMode === "json") out.push({ args: jsonValue(rest) });
    else out.push({ args: `${this.valueMode === "pending" ? '"' : ""}${jsonFragment(rest)}"` });
    this.held = "";
    this.buffer = this.buffer.slice(close + PARAMETER_CLOSE.length);
    this.phase = "between";
    return true;
  }

  private appendValue(text: string, out: ToolArgsChunk[]): void {
    if (text === "") return;
    if (this.valueMode === "json") {
      this.held += text;
      if (this.held.length <= this.limit) return;
      // Too long to hold for a JSON check: it goes on as a string value.
      const body = this.held.trimEnd();
      out.push({ args: `"${jsonFragment(body)}` });
      this.held = this.held.slice(body.length);
      this.valueMode = "string";
      return;
    }
    if (this.valueMode === "pending") {
      const s = (this.held + text).trimStart();
      if (s === "") {
        this.held += text;
        return;
      }
      this.held = "";
      if (s[0] === "{" || s[0] === "[") {
        this.valueMode = "json";
        this.held = s;
        return;
      }
      this.valueMode = "string";
      out.push({ args: '"' });
      text = s;
    }
    // Trailing whitespace is held: the value is trimmed at its close, as the whole-block parser does.
    const all = this.held + text;
    const body = all.length > this.limit ? all : all.trimEnd();
    this.held = all.slice(body.length);
    if (body !== "") out.push({ args: jsonFragment(body) });
  }

  /** The text that closes the arguments of a call whose block ended early, so they stay valid JSON. */
  close(): string {
    if (!this.emittedName || this.phase === "done") return "";
    const phase = this.phase;
    this.phase = "done";
    if (phase === "value") {
      const rest = this.held.trimEnd();
      if (this.valueMode === "json") return `${jsonValue(rest)}}`;
      return `${this.valueMode === "pending" ? '"' : ""}${jsonFragment(rest)}"}`;
    }
    return "}";
  }
}
