// The one QueryClient: a 401 anywhere marks the session signed out (RequireAuth then redirects),
// and client errors are not retried.

import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { ApiError, isUnauthorized } from "./api/api-error";
import { clearSessionHint } from "./api/session-hint";
import { SIGNED_OUT, type SessionState, sessionKeys } from "./api/queries/session";

export function createQueryClient(): QueryClient {
  const onError = (error: unknown) => {
    if (!isUnauthorized(error)) return;
    clearSessionHint();
    client.setQueryData<SessionState>(sessionKeys.all, SIGNED_OUT);
  };
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
        staleTime: 5_000,
      },
    },
  });
  return client;
}
