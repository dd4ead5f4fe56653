// What names a conversation, so its turns go to one deployment: a Responses chain's previous
// response, a configured header, Claude Code's session header, or the client's `prompt_cache_key`.

const MAX_KEY_LENGTH = 256;
const CLAUDE_CODE_SESSION = "x-claude-code-session-id";

type Headers = Record<string, string | string[] | undefined>;

/** The key this request's conversation is known by in `group`, if it names one. */
export function affinityKeyOf(
  group: string,
  body: Record<string, unknown>,
  headers: Headers,
  header: string | undefined,
  previousResponseId?: string,
): string | undefined {
  const previous = usable(previousResponseId ?? body.previous_response_id);
  if (previous) return responseKey(group, previous);
  const custom = header ? usable(first(headers[header])) : undefined;
  if (custom) return `${group}\0h:${custom}`;
  const session = usable(first(headers[CLAUDE_CODE_SESSION]));
  if (session) return `${group}\0h:${session}`;
  const cacheKey = usable(body.prompt_cache_key);
  if (cacheKey) return `${group}\0c:${cacheKey}`;
  return undefined;
}

/** The key the next turn of a Responses chain will look up: the id of the response just given. */
export function responseKey(group: string, responseId: string): string {
  return `${group}\0r:${responseId}`;
}

function usable(v: unknown): string | undefined {
  return typeof v === "string" && v.length > 0 && v.length <= MAX_KEY_LENGTH ? v : undefined;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
