// The sign-in form, rendered from props only.

import { type FormEvent, useState } from "react";

export interface LoginPageViewProps {
  onSubmit: (password: string) => void;
  pending: boolean;
  error: string | null;
  /** The proxy runs without YALLMP_ADMIN_PASSWORD, so there is nothing to sign in to. */
  adminDisabled: boolean;
}

export function LoginPageView({ onSubmit, pending, error, adminDisabled }: LoginPageViewProps) {
  const [password, setPassword] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (password) onSubmit(password);
  };
  return (
    <div className="login-screen">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand login-brand">
          <span className="brand-mark" aria-hidden="true">
            y
          </span>
          yaLLMproxy
        </div>
        <h1 id="login-title">Sign in to the dashboard</h1>
        {adminDisabled ? (
          <p className="notice notice-warn" role="alert">
            No admin password is set, so the admin API is off. Start the proxy with <code>YALLMP_ADMIN_PASSWORD</code> set to use the dashboard.
          </p>
        ) : null}
        <label className="field">
          <span>Admin password</span>
          <input
            type="password"
            autoComplete="current-password"
            autoFocus
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            disabled={adminDisabled}
          />
        </label>
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="btn btn-primary btn-block" disabled={pending || adminDisabled || !password}>
          {pending ? "Signing in…" : "Sign in"}
        </button>
        <p className="muted small">The password is the proxy's YALLMP_ADMIN_PASSWORD.</p>
      </form>
    </div>
  );
}
