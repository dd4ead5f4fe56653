// Serves the operator dashboard (apps/dashboard/dist) under /dashboard/: built files as they are,
// any other GET under /dashboard/ gets index.html so the client routes load on refresh. Without a
// build, /dashboard answers 503 saying how to make one.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";
import { DashboardPathParams } from "@yallmproxy/api";
import { typed } from "../http/schema.js";

export interface DashboardOptions {
  /** The built dashboard; defaults to apps/dashboard/dist beside this package. */
  root?: string;
}

/** Same relative path from src/routes/ and from dist/routes/. */
const DEFAULT_ROOT = fileURLToPath(new URL("../../../dashboard/dist/", import.meta.url));

const NOT_BUILT = "The dashboard is not built. Run `npm run build` at the repository root (`npm start` builds it too), then restart the proxy.\n";

/** Whether there is a build to serve. */
export function dashboardBuilt(root = DEFAULT_ROOT): boolean {
  return existsSync(join(root, "index.html"));
}

export async function dashboardRoutes(app: FastifyInstance, opts: DashboardOptions = {}): Promise<void> {
  const root = opts.root ?? DEFAULT_ROOT;
  if (!dashboardBuilt(root)) {
    const notBuilt = async (_request: unknown, reply: FastifyReply) =>
      reply.code(503).type("text/plain; charset=utf-8").header("cache-control", "no-store").send(NOT_BUILT);
    app.get("/dashboard", notBuilt);
    app.get("/dashboard/", notBuilt);
    app.get("/dashboard/*", { schema: { params: DashboardPathParams } }, notBuilt);
    return;
  }

  app.get("/dashboard", async (_request, reply) => reply.redirect("/dashboard/", 302));
  await app.register(
    async (scope) => {
      // The plugin only sends files; the route is the app's own, so its path is declared like any other.
      await scope.register(fastifyStatic, {
        root,
        serve: false,
        cacheControl: false,
        setHeaders: (res, path) => {
          // Vite names assets by content hash; index.html must always be fetched fresh.
          res.setHeader("cache-control", path.includes(`${join("assets", "")}`) ? "public, max-age=31536000, immutable" : "no-cache");
        },
      });
      typed(scope).get("/*", { schema: { params: DashboardPathParams } }, async (request, reply) => reply.sendFile(request.params["*"] || "index.html"));
      scope.setNotFoundHandler((request, reply) => {
        const path = request.url.split("?")[0] ?? "";
        // A missing asset is a real 404; a client route gets the app.
        if ((request.method === "GET" || request.method === "HEAD") && !path.startsWith("/dashboard/assets/")) {
          return reply.header("cache-control", "no-cache").sendFile("index.html", root);
        }
        return reply.code(404).type("text/plain; charset=utf-8").send("Not found\n");
      });
    },
    { prefix: "/dashboard" },
  );
}
