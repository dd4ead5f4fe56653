// The frame around every signed-in page: the product name, the sections, and sign-out.

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { NavLink, Outlet, useNavigate } from "react-router-dom";
import { logoutMutation } from "../api/queries/session";

const SECTIONS = [
  { to: "/live", label: "Live" },
  { to: "/config", label: "Config" },
  { to: "/responses", label: "Responses" },
  { to: "/usage", label: "Usage" },
] as const;

export function AppShell() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const logout = useMutation(logoutMutation(queryClient));
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true">
            y
          </span>
          yaLLMproxy
        </span>
        <nav aria-label="Sections" className="nav">
          {SECTIONS.map((s) => (
            <NavLink key={s.to} to={s.to} className={({ isActive }) => `nav-link${isActive ? " active" : ""}`}>
              {s.label}
            </NavLink>
          ))}
        </nav>
        <button
          type="button"
          className="btn btn-ghost"
          disabled={logout.isPending}
          onClick={() => logout.mutate(undefined, { onSettled: () => void navigate("/login", { replace: true }) })}
        >
          Sign out
        </button>
      </header>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}
