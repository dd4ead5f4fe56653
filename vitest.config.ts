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
    // Most files wait on sockets, child processes and browsers, not the CPU: two at a time even on
    // two cores (Vitest's default there is one) takes the suite from ~15 to ~9 minutes.
    maxWorkers: 2,
    minWorkers: 1,
    // On CI a test that fails is run once more; one that then passes is named "Flaky:" in the
    // closing summary (scripts/summary-reporter.ts), so it is seen and fixed rather than hidden.
    retry: process.env.CI ? 1 : 0,
    globalSetup: ["./scripts/default-database-guard.ts"],
    reporters: ["default", "./scripts/summary-reporter.ts"],
  },
});
