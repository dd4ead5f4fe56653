// Builds the operator dashboard into dist/, which the proxy serves under /dashboard/.
// `npm run dev -w @yallmproxy/dashboard` proxies /admin (REST and WebSocket) to a proxy on :7979.

import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/dashboard/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: {
    proxy: {
      "/admin": { target: "http://127.0.0.1:7979", ws: true },
    },
  },
});
