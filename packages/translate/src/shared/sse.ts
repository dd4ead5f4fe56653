// SSE framing for the two OpenAI stream styles: Chat sends bare `data:` lines, Responses names
// every event with an `event:` line equal to the payload's `type`.

export function formatSseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export function formatSseEvent(type: string, payload: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

export const SSE_DONE = "data: [DONE]\n\n";
