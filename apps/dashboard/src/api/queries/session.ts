// Session queries: whether the admin cookie is valid, sign-in and sign-out.

import { type QueryClient, queryOptions } from "@tanstack/react-query";
import { ApiError, isUnauthorized } from "../api-error";
import { getAdminStatus, getSession, login, logout } from "../client";
import { clearSessionHint, hasSessionHint, setSessionHint } from "../session-hint";

/** `admin_disabled`: the proxy runs without YALLMP_ADMIN_PASSWORD. */
export type SessionState = { authenticated: true } | { authenticated: false; reason: "signed_out" | "admin_disabled" };

export const SIGNED_OUT: SessionState = { authenticated: false, reason: "signed_out" };
const SIGNED_IN: SessionState = { authenticated: true };

export const sessionKeys = {
  all: ["session"] as const,
};

export const sessionQuery = () =>
  queryOptions({
    queryKey: sessionKeys.all,
    queryFn: async (): Promise<SessionState> => {
      if (!hasSessionHint()) return SIGNED_OUT;
      try {
        await getSession();
        return SIGNED_IN;
      } catch (err) {
        if (isUnauthorized(err)) {
          clearSessionHint();
          return SIGNED_OUT;
        }
        if (err instanceof ApiError && err.status === 404) return { authenticated: false, reason: "admin_disabled" };
        throw err;
      }
    },
    staleTime: 5 * 60_000,
    retry: false,
  });

/** Whether the proxy has an admin password at all (it cannot change while the proxy runs). */
export const adminStatusQuery = () =>
  queryOptions({
    queryKey: ["admin-status"] as const,
    queryFn: async (): Promise<boolean> => (await getAdminStatus()).enabled,
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });

export const loginMutation = (queryClient: QueryClient) => ({
  mutationFn: (password: string) => login(password),
  onSuccess: async () => {
    setSessionHint();
    queryClient.setQueryData<SessionState>(sessionKeys.all, SIGNED_IN);
  },
});

export const logoutMutation = (queryClient: QueryClient) => ({
  mutationFn: () => logout(),
  onSettled: () => {
    clearSessionHint();
    // Whatever was cached belongs to the old session.
    queryClient.clear();
    queryClient.setQueryData<SessionState>(sessionKeys.all, SIGNED_OUT);
  },
});
