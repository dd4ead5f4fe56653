// Where a request body holds text the translators to Chat Completions carry as it is: copied or
// concatenated into the upstream body, never parsed, split, trimmed, measured nor serialized a second
// time. A proxy may stand a placeholder in for such a string while it translates, and put the
// original bytes back into the translated body afterwards. Checked against messages/ and responses/
// decode-conversation.ts and decode-request.ts, and chat/encode-conversation.ts: a change there
// that inspects one of these strings must remove its path here.

import type { JsonPath } from "./json-scan.js";

type Pattern = ReadonlyArray<string | -1>;

const MESSAGES: Pattern[] = [
  ["system"],
  ["system", -1, "text"],
  ["messages", -1, "content"],
  ["messages", -1, "content", -1, "text"],
  ["messages", -1, "content", -1, "thinking"],
  ["messages", -1, "content", -1, "content"],
  ["messages", -1, "content", -1, "content", -1, "text"],
  // base64 image and document data: concatenated into a data URL.
  ["messages", -1, "content", -1, "source", "data"],
  ["messages", -1, "content", -1, "content", -1, "source", "data"],
];

// Not `instructions`: the Response object echoes it to the client.
const RESPONSES: Pattern[] = [
  ["input"],
  ["input", -1, "content"],
  ["input", -1, "content", -1, "text"],
  ["input", -1, "summary", -1, "text"],
  ["input", -1, "output"],
  ["input", -1, "output", -1, "text"],
];

function matches(patterns: Pattern[], path: JsonPath): boolean {
  outer: for (const p of patterns) {
    if (p.length !== path.length) continue;
    for (let k = 0; k < p.length; k++) if (p[k] !== path[k]) continue outer;
    return true;
  }
  return false;
}

/** Whether a string at `path` of a `format` request reaches a Chat Completions body unchanged in its text. */
export function isOpaqueTextPath(format: "messages" | "responses", path: JsonPath): boolean {
  return matches(format === "messages" ? MESSAGES : RESPONSES, path);
}
