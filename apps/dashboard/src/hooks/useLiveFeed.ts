// Keeps the live WebSocket open while the Live page is shown: every message is validated and merged
// into the trace lists, and every (re)open re-sends the filter and invalidates the trace family.

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { mergeLiveMessage } from "../api/merge-live-message";
import { parseLiveMessage } from "../api/parse-live-message";
import { sessionKeys } from "../api/queries/session";
import { normalizeFilters, traceKeys } from "../api/queries/traces";
import { type ReconnectingSocket, type SocketStatus, adminSocketUrl, createReconnectingSocket } from "../api/reconnecting-socket";
import type { TraceFilters } from "../api/types";

export interface LiveFeedState {
  status: SocketStatus;
  /** Events the server skipped because this tab fell behind, since the page opened. */
  dropped: number;
}

export function useLiveFeed(filters: TraceFilters): LiveFeedState {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<SocketStatus>("connecting");
  const [dropped, setDropped] = useState(0);
  const filtersRef = useRef(normalizeFilters(filters));
  const socketRef = useRef<ReconnectingSocket | null>(null);

  useEffect(() => {
    const socket = createReconnectingSocket({
      url: adminSocketUrl(),
      onOpen: (send) => {
        send({ type: "filter", ...filtersRef.current });
        void queryClient.invalidateQueries({ queryKey: traceKeys.all });
      },
      onMessage: (text) => {
        const message = parseLiveMessage(text);
        if (!message) return;
        mergeLiveMessage(queryClient, message);
        if (message.type === "dropped") setDropped((n) => n + message.count);
      },
      onStatus: setStatus,
      // The upgrade is refused with 401 when the session ended; the session query notices that.
      onRepeatedFailure: () => void queryClient.invalidateQueries({ queryKey: sessionKeys.all }),
    });
    socketRef.current = socket;
    return () => {
      socket.dispose();
      socketRef.current = null;
    };
  }, [queryClient]);

  const { model, key, status: statusFilter } = filters;
  useEffect(() => {
    filtersRef.current = normalizeFilters({ model, key, status: statusFilter });
    socketRef.current?.send({ type: "filter", ...filtersRef.current });
  }, [model, key, statusFilter]);

  return { status, dropped };
}
