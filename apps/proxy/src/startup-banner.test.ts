import { describe, expect, it } from "vitest";
import { startupBanner } from "./startup-banner.js";

describe("the start-up line", () => {
  const address = "http://127.0.0.1:7979";
  it("names the dashboard and whether the admin API is on", () => {
    expect(startupBanner({ address, adminOn: true, dashboardBuilt: true })).toBe(
      "yaLLMproxy listening on http://127.0.0.1:7979 — dashboard http://127.0.0.1:7979/dashboard (admin API on)",
    );
    expect(startupBanner({ address, adminOn: false, dashboardBuilt: true })).toBe(
      "yaLLMproxy listening on http://127.0.0.1:7979 — dashboard http://127.0.0.1:7979/dashboard (admin API off: set YALLMP_ADMIN_PASSWORD)",
    );
  });

  it("says how to build a dashboard that is not built", () => {
    expect(startupBanner({ address, adminOn: true, dashboardBuilt: false })).toBe(
      "yaLLMproxy listening on http://127.0.0.1:7979 — dashboard not built: run npm run build (admin API on)",
    );
  });

  it("names where the forwarders listen", () => {
    expect(startupBanner({ address, adminOn: true, dashboardBuilt: true, forwarding: ["tcp://0.0.0.0:6969", "https://0.0.0.0:6970"] })).toBe(
      "yaLLMproxy listening on http://127.0.0.1:7979 — dashboard http://127.0.0.1:7979/dashboard (admin API on); forwarding tcp://0.0.0.0:6969, https://0.0.0.0:6970",
    );
  });
});
