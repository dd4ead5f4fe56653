// OpenAI rejects a `user` longer than 64 characters, and Anthropic's `metadata.user_id` may be longer
// (Claude Code sends a JSON string of about 150). A longer id goes to OpenAI formats as its SHA-256 in hex
// (64 characters): still one stable, opaque value per end user.

import { createHash } from "node:crypto";
import type { TranslationWarning } from "../ir.js";

const OPENAI_USER_MAX_LENGTH = 64;

export function openAIUser(user: string | undefined, warnings: TranslationWarning[]): string | undefined {
  if (user === undefined || user.length <= OPENAI_USER_MAX_LENGTH) return user;
  warnings.push({
    code: "value_adjusted",
    path: "user",
    message: `user id of ${user.length} characters sent as its SHA-256 (OpenAI allows ${OPENAI_USER_MAX_LENGTH})`,
  });
  return createHash("sha256").update(user).digest("hex");
}
