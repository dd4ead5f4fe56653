// Guards the signed-in pages: while the session is unknown it waits, when signed out it sends the
// operator to the sign-in page and remembers where they were going.

import { useQuery } from "@tanstack/react-query";
import { Navigate, Outlet, useLocation } from "react-router-dom";
import { sessionQuery } from "../api/queries/session";
import { ErrorState } from "./ErrorState";
import { LoadingState } from "./LoadingState";

export function RequireAuth() {
  const session = useQuery(sessionQuery());
  const location = useLocation();
  if (session.isPending) return <LoadingState label="Checking your session…" />;
  if (session.isError) return <ErrorState title="The proxy did not answer" error={session.error} onRetry={() => void session.refetch()} />;
  if (!session.data.authenticated) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/login${next && next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`} replace />;
  }
  return <Outlet />;
}
