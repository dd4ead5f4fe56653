// Types of agent-body.mjs, for the tests that use its bodies.
export function agentBody(
  format: "chat" | "messages" | "responses",
  targetBytes: number,
  opts?: { model?: string; stream?: boolean; seed?: number },
): Record<string, unknown>;
