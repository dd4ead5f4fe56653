// Sign-in: posts the admin password, then goes where the operator was headed.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { ApiError, isUnauthorized } from "../../api/api-error";
import { adminStatusQuery, loginMutation, sessionQuery } from "../../api/queries/session";
import { LoadingState } from "../../components/LoadingState";
import { errorMessage } from "../../lib/format";
import { LoginPageView } from "./LoginPageView";

function safeNext(next: string | null): string {
  // Only paths inside the dashboard; never an absolute URL someone slipped into the link.
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/live";
}

export function LoginPage() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const session = useQuery(sessionQuery());
  const adminStatus = useQuery(adminStatusQuery());
  const login = useMutation(loginMutation(queryClient));
  const next = safeNext(params.get("next"));

  if (session.isPending) return <LoadingState label="Checking your session…" />;
  if (session.data?.authenticated) return <Navigate to={next} replace />;

  const disabledByServer = login.error instanceof ApiError && login.error.code === "admin_disabled";
  const error = login.error && !disabledByServer ? (isUnauthorized(login.error) ? "Wrong password." : errorMessage(login.error)) : null;
  return (
    <LoginPageView
      pending={login.isPending}
      error={error}
      adminDisabled={disabledByServer || adminStatus.data === false || (session.data?.authenticated === false && session.data.reason === "admin_disabled")}
      onSubmit={(password) => login.mutate(password, { onSuccess: () => void navigate(next, { replace: true }) })}
    />
  );
}
