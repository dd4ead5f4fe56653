import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["yallmproxy-source"] },
  ssr: { resolve: { conditions: ["yallmproxy-source"], externalConditions: ["yallmproxy-source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "apps/*/test/**/*.test.ts", "e2e/tests/**/*.test.ts"],
    testTimeout: 30_000,
    // Every answer with a response schema is checked against it (apps/proxy/src/http-schema.ts).
    env: { YALLMPROXY_CHECK_RESPONSES: "1" },
    hookTimeout: 60_000,
    pool: "forks",
    globalSetup: ["./scripts/default-database-guard.ts"],
    reporters: ["default", "./scripts/summary-reporter.ts"],
  },
});
