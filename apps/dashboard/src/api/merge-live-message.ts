// Folds one live-feed message into the query cache: trace rows are upserted into every cached list
// whose filters they match, progress updates the running row, and a drop invalidates the lists.

import type { QueryClient } from "@tanstack/react-query";
import type { LiveMessage } from "./parse-live-message";
import { applyProgress, traceKeys, updateTraceLists, upsertTrace } from "./queries/traces";

export function mergeLiveMessage(queryClient: QueryClient, message: LiveMessage): void {
  switch (message.type) {
    case "hello":
      return;
    case "request.started":
      updateTraceLists(queryClient, (list, filters) => upsertTrace(list, message.trace, filters));
      return;
    case "request.finished":
      updateTraceLists(queryClient, (list, filters) => upsertTrace(list, message.trace, filters));
      void queryClient.invalidateQueries({ queryKey: traceKeys.detail(message.trace.id) });
      return;
    case "request.progress": {
      const { id, chunks, completionTokens, elapsedMs } = message;
      updateTraceLists(queryClient, (list) => applyProgress(list, id, { chunks, completionTokens, elapsedMs }));
      return;
    }
    case "dropped":
      // This client fell behind and missed events: fetch the lists again.
      void queryClient.invalidateQueries({ queryKey: traceKeys.lists() });
      return;
    default: {
      const never: never = message;
      return never;
    }
  }
}
