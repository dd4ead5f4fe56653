// `max_tool_calls` (Responses) for backends that have no such limit (Chat, Anthropic): the proxy
// keeps the first N tool calls of each answer (each choice, when n > 1) and drops the rest, with a
// warning per dropped call. Kept calls keep their indices 0..N-1, so encoders see a normal answer.

import type { LlmResponse, StreamDecoder, StreamEvent, TranslationWarning } from "@yallmproxy/translate";

function dropWarning(max: number, choice: number, index: number, name: string): TranslationWarning {
  return {
    code: "tool_call_limit",
    path: `max_tool_calls`,
    message: `the backend cannot limit tool calls; call ${index + 1} ('${name}') of choice ${choice} exceeds max_tool_calls=${max} and was dropped`,
  };
}

/** Wraps a backend stream decoder so that no choice gets more than `max` tool calls. */
export function limitStreamToolCalls(decoder: StreamDecoder, max: number, warnings: TranslationWarning[]): StreamDecoder {
  const kept = new Map<number, number>();
  const dropped = new Set<string>();
  const filter = (events: StreamEvent[]): StreamEvent[] =>
    events.filter((ev) => {
      switch (ev.type) {
        case "tool_call_start": {
          const count = kept.get(ev.choice) ?? 0;
          if (count < max) {
            kept.set(ev.choice, count + 1);
            return true;
          }
          dropped.add(`${ev.choice}:${ev.index}`);
          warnings.push(dropWarning(max, ev.choice, ev.index, ev.name));
          return false;
        }
        case "tool_call_delta":
        case "tool_call_end":
          return !dropped.has(`${ev.choice}:${ev.index}`);
        default:
          return true;
      }
    });
  return {
    push: (frame) => filter(decoder.push(frame)),
    end: () => filter(decoder.end()),
    broke: (error) => filter(decoder.broke ? decoder.broke(error) : [error]),
  };
}

/** The same limit on a whole (non-streamed) answer. */
export function limitResponseToolCalls(response: LlmResponse, max: number, warnings: TranslationWarning[]): LlmResponse {
  let changed = false;
  const choices = response.choices.map((choice) => {
    let calls = 0;
    const content = choice.content.filter((part) => {
      if (part.type !== "tool_call") return true;
      calls++;
      if (calls <= max) return true;
      warnings.push(dropWarning(max, choice.index, calls - 1, part.name));
      changed = true;
      return false;
    });
    return content.length === choice.content.length ? choice : { ...choice, content };
  });
  return changed ? { ...response, choices } : response;
}
