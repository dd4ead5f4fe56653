// Reasoning knobs and opaque reasoning data shared by both OpenAI codecs.

import type { ReasoningConfig, ReasoningEffort, ReasoningPart, TranslationWarning } from "../ir.js";
import { isRecord } from "./guards.js";

export const REASONING_EFFORTS: readonly ReasoningEffort[] = ["none", "minimal", "low", "medium", "high", "xhigh", "max"];

/**
 * The effort to send upstream: the explicit one, else a bucket of an Anthropic thinking budget
 * (LiteLLM thresholds: minimal < 1024 <= low < 2048 <= medium < 4096 <= high < 16384 <= max).
 */
export function effectiveEffort(reasoning: ReasoningConfig | undefined): ReasoningEffort | undefined {
  if (!reasoning) return undefined;
  if (reasoning.effort) return reasoning.effort;
  const budget = reasoning.budgetTokens;
  if (budget === undefined) return undefined;
  if (budget >= 16384) return "xhigh";
  if (budget >= 4096) return "high";
  if (budget >= 2048) return "medium";
  if (budget >= 1024) return "low";
  return "minimal";
}

/**
 * The effort an OpenAI backend takes: its scale ends at `xhigh`, so Anthropic's `max` is sent as
 * `xhigh`, with a warning.
 */
export function openAIEffort(reasoning: ReasoningConfig | undefined, path: string, warnings: TranslationWarning[]): ReasoningEffort | undefined {
  const effort = effectiveEffort(reasoning);
  if (effort !== "max") return effort;
  warnings.push({ code: "value_adjusted", path, message: "OpenAI's efforts end at `xhigh`; `max` was sent as `xhigh`" });
  return "xhigh";
}

/**
 * Anthropic thinking signatures and redacted thinking have no OpenAI field. A Responses client
 * replays reasoning items' `encrypted_content` byte for byte, so they travel there, packed with a
 * prefix that says they are ours; decoding the replayed item restores `signature`/`redactedData`.
 */
const OPAQUE_PREFIX = "yallmp.reasoning.v1:";

export function packReasoningOpaque(part: ReasoningPart): string | undefined {
  if (part.encryptedContent !== undefined) return part.encryptedContent;
  if (part.signature === undefined && part.redactedData === undefined) return undefined;
  const payload: Record<string, string> = {};
  if (part.signature !== undefined) payload["signature"] = part.signature;
  if (part.redactedData !== undefined) payload["redactedData"] = part.redactedData;
  return OPAQUE_PREFIX + Buffer.from(JSON.stringify(payload), "utf8").toString("base64");
}

export function unpackReasoningOpaque(encrypted: string): { encryptedContent: string } | { signature?: string; redactedData?: string } {
  if (!encrypted.startsWith(OPAQUE_PREFIX)) return { encryptedContent: encrypted };
  try {
    const decoded: unknown = JSON.parse(Buffer.from(encrypted.slice(OPAQUE_PREFIX.length), "base64").toString("utf8"));
    if (!isRecord(decoded)) return { encryptedContent: encrypted };
    const out: { signature?: string; redactedData?: string } = {};
    if (typeof decoded["signature"] === "string") out.signature = decoded["signature"];
    if (typeof decoded["redactedData"] === "string") out.redactedData = decoded["redactedData"];
    return out;
  } catch {
    return { encryptedContent: encrypted };
  }
}
