// Runs one replay (`POST /admin/replay`) and folds its Responses SSE stream into what the page
// shows: streamed text and reasoning, finished output items, and the stored replay's id.

import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { startReplay } from "../api/client";
import { responseKeys } from "../api/queries/responses";
import type { ResponseItem } from "../api/types";
import { errorMessage } from "../lib/format";
import { readSse } from "../lib/read-sse";

export interface ReplayState {
  status: "idle" | "streaming" | "done" | "error";
  model: string | null;
  mode: "turn" | "chain";
  responseId: string | null;
  text: string;
  reasoning: string;
  /** Reasoning items that stream a summary: their raw reasoning_text (the same text) is not added again. */
  summarized: string[];
  items: ResponseItem[];
  usage: { input_tokens?: number; output_tokens?: number } | null;
  error: string | null;
  startedAt: number | null;
  elapsedMs: number | null;
}

const IDLE: ReplayState = {
  status: "idle",
  model: null,
  mode: "turn",
  responseId: null,
  text: "",
  reasoning: "",
  summarized: [],
  items: [],
  usage: null,
  error: null,
  startedAt: null,
  elapsedMs: null,
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Applies one stream event to the state; unknown events change nothing. */
function applyReplayEvent(state: ReplayState, name: string | null, data: string): ReplayState {
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    return state;
  }
  if (!isObj(payload)) return state;
  const type = typeof payload.type === "string" ? payload.type : name;
  const response = isObj(payload.response) ? payload.response : null;
  switch (type) {
    case "response.created":
    case "response.in_progress":
      return response && typeof response.id === "string" ? { ...state, responseId: response.id } : state;
    case "response.output_text.delta":
      return typeof payload.delta === "string" ? { ...state, text: state.text + payload.delta } : state;
    case "response.reasoning_summary_text.delta": {
      if (typeof payload.delta !== "string") return state;
      const id = String(payload.item_id);
      const summarized = state.summarized.includes(id) ? state.summarized : [...state.summarized, id];
      return { ...state, reasoning: state.reasoning + payload.delta, summarized };
    }
    case "response.reasoning_text.delta":
      if (state.summarized.includes(String(payload.item_id))) return state;
      return typeof payload.delta === "string" ? { ...state, reasoning: state.reasoning + payload.delta } : state;
    case "response.output_item.done":
      return isObj(payload.item) ? { ...state, items: [...state.items, payload.item as ResponseItem] } : state;
    case "response.completed":
    case "response.incomplete": {
      if (!response) return state;
      const output = Array.isArray(response.output) ? (response.output as ResponseItem[]) : state.items;
      return {
        ...state,
        items: output,
        usage: isObj(response.usage) ? (response.usage as ReplayState["usage"]) : null,
        responseId: typeof response.id === "string" ? response.id : state.responseId,
      };
    }
    case "response.failed": {
      const err = response && isObj(response.error) ? response.error : null;
      return { ...state, status: "error", error: err && typeof err.message === "string" ? err.message : "The replay failed." };
    }
    case "error": {
      const err = isObj(payload.error) ? payload.error : payload;
      return { ...state, status: "error", error: typeof err.message === "string" ? err.message : "The replay failed." };
    }
    default:
      return state;
  }
}

export function useReplay() {
  const queryClient = useQueryClient();
  const [state, setState] = useState<ReplayState>(IDLE);
  const abortRef = useRef<AbortController | null>(null);

  useEffect(() => () => abortRef.current?.abort(), []);

  const start = useCallback(
    async (responseId: string, model: string, mode: "turn" | "chain") => {
      abortRef.current?.abort();
      const abort = new AbortController();
      abortRef.current = abort;
      const startedAt = performance.now();
      setState({ ...IDLE, status: "streaming", model, mode, startedAt: Date.now() });
      try {
        const res = await startReplay({ responseId, model, mode }, abort.signal);
        if (!res.body) throw new Error("The replay answered with no body.");
        await readSse(res.body, ({ event, data }) => {
          if (data === "[DONE]") return;
          setState((s) => applyReplayEvent(s, event, data));
        });
        setState((s) => ({ ...s, status: s.status === "error" ? "error" : "done", elapsedMs: performance.now() - startedAt }));
        void queryClient.invalidateQueries({ queryKey: responseKeys.all });
      } catch (err) {
        if (abort.signal.aborted) return;
        setState((s) => ({ ...s, status: "error", error: errorMessage(err), elapsedMs: performance.now() - startedAt }));
      }
    },
    [queryClient],
  );

  const stop = useCallback(() => {
    abortRef.current?.abort();
    setState((s) => (s.status === "streaming" ? { ...s, status: "error", error: "Stopped." } : s));
  }, []);

  return { state, start, stop };
}
