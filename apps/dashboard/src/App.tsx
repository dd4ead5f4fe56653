// The dashboard's routes, under /dashboard/: sign-in, then the signed-in sections.

import { Suspense, lazy } from "react";
import { Navigate, Route, Routes } from "react-router-dom";
import { AppShell } from "./components/AppShell";
import { EmptyState } from "./components/EmptyState";
import { RequireAuth } from "./components/RequireAuth";
import { LoadingState } from "./components/LoadingState";
import { ConfigLayout } from "./pages/config/ConfigLayout";
import { ConfigVersionsPage } from "./pages/config/ConfigVersionsPage";
import { KeysPage } from "./pages/config/KeysPage";
import { ModelsPage } from "./pages/config/ModelsPage";
import { LivePage } from "./pages/live/LivePage";
import { LoginPage } from "./pages/login/LoginPage";
import { ResponseChainPage } from "./pages/responses/ResponseChainPage";
import { ResponsesPage } from "./pages/responses/ResponsesPage";
import { TracePage } from "./pages/trace/TracePage";
import { UsagePage } from "./pages/usage/UsagePage";

// CodeMirror is most of the bundle; only the config editor needs it.
const ConfigEditorPage = lazy(async () => ({ default: (await import("./pages/config/ConfigEditorPage")).ConfigEditorPage }));

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route element={<RequireAuth />}>
        <Route element={<AppShell />}>
          <Route index element={<Navigate to="/live" replace />} />
          <Route path="/live" element={<LivePage />} />
          <Route path="/traces/:id" element={<TracePage />} />
          <Route path="/config" element={<ConfigLayout />}>
            <Route
              index
              element={
                <Suspense fallback={<LoadingState label="Loading the editor…" />}>
                  <ConfigEditorPage />
                </Suspense>
              }
            />
            <Route path="versions" element={<ConfigVersionsPage />} />
            <Route path="models" element={<ModelsPage />} />
            <Route path="keys" element={<KeysPage />} />
          </Route>
          <Route path="/responses" element={<ResponsesPage />} />
          <Route path="/responses/:id" element={<ResponseChainPage />} />
          <Route path="/usage" element={<UsagePage />} />
          <Route path="*" element={<EmptyState title="Nothing here">This page does not exist.</EmptyState>} />
        </Route>
      </Route>
    </Routes>
  );
}
