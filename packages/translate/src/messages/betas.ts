// `anthropic-beta` edited per backend: upstreams in front of Claude (Bedrock- and Vertex-style
// gateways) refuse betas they do not know, and some need one the client never sends.

/** `model_params.anthropic_betas`: names to take out (a trailing `*` matches a prefix) and to add. */
export interface AnthropicBetaEdit {
  drop: readonly string[];
  add: readonly string[];
}

function dropped(name: string, drop: readonly string[]): boolean {
  return drop.some((d) => (d.endsWith("*") ? name.startsWith(d.slice(0, -1)) : name === d));
}

/**
 * The header value after the edit: the client's betas in their order, less the dropped ones, then
 * the added ones it lacked. Undefined when none is left (the header is then not sent).
 */
export function editAnthropicBetas(header: string | undefined, edit: AnthropicBetaEdit): string | undefined {
  const out: string[] = [];
  for (const raw of (header ?? "").split(",")) {
    const name = raw.trim();
    if (name && !dropped(name, edit.drop) && !out.includes(name)) out.push(name);
  }
  for (const name of edit.add) if (!out.includes(name)) out.push(name);
  return out.length > 0 ? out.join(",") : undefined;
}
