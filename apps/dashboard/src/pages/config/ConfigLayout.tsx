// The Config section's frame: its title and the tabs for the editor, versions, models and keys.

import { NavLink, Outlet } from "react-router-dom";

const TABS = [
  { to: "/config", label: "Editor", end: true },
  { to: "/config/versions", label: "Versions", end: false },
  { to: "/config/models", label: "Models", end: false },
  { to: "/config/keys", label: "API keys", end: false },
] as const;

export function ConfigLayout() {
  return (
    <div className="page">
      <div className="page-head">
        <h1>Configuration</h1>
      </div>
      <nav className="tabs" aria-label="Config sections">
        {TABS.map((t) => (
          <NavLink key={t.to} to={t.to} end={t.end} className={({ isActive }) => `tab${isActive ? " active" : ""}`}>
            {t.label}
          </NavLink>
        ))}
      </nav>
      <Outlet />
    </div>
  );
}
