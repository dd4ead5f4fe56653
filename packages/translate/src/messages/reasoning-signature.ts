// Carries an OpenAI reasoning item (`encrypted_content` + `rs_` id) through an Anthropic client inside the
// thinking block's `signature`, so Claude Code replays it and a Responses backend gets its reasoning back.
// Only Anthropic can sign thinking; a packed value is never sent to Anthropic as a signature.

import type { ReasoningPart } from "../ir.js";
import { isRecord } from "../shared/guards.js";

const PREFIX = "yallm-rsenc-v1:";

/** The `signature` to show an Anthropic client: the real one, a packed OpenAI reasoning item, or "". */
export function packReasoningSignature(part: Pick<ReasoningPart, "signature" | "encryptedContent" | "id">): string {
  if (part.signature !== undefined && part.signature !== "") return part.signature;
  if (part.encryptedContent === undefined) return "";
  const packed: Record<string, string> = { encrypted_content: part.encryptedContent };
  if (part.id !== undefined) packed.id = part.id;
  return PREFIX + Buffer.from(JSON.stringify(packed), "utf8").toString("base64");
}

/** The reverse, for thinking blocks a client sends back. An empty signature means none. */
export function unpackReasoningSignature(signature: string): Pick<ReasoningPart, "signature" | "encryptedContent" | "id"> {
  if (signature === "") return {};
  if (!signature.startsWith(PREFIX)) return { signature };
  try {
    const parsed: unknown = JSON.parse(Buffer.from(signature.slice(PREFIX.length), "base64").toString("utf8"));
    if (isRecord(parsed) && typeof parsed.encrypted_content === "string") {
      return typeof parsed.id === "string" ? { encryptedContent: parsed.encrypted_content, id: parsed.id } : { encryptedContent: parsed.encrypted_content };
    }
  } catch {
    // Not ours after all: keep it as an opaque signature.
  }
  return { signature };
}
