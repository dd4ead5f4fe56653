// The line a person reads when the proxy starts: where it listens, where the dashboard is, and
// whether the admin API (and so the dashboard's sign-in) is on, and where the forwarders listen.

export interface BannerFacts {
  address: string;
  adminOn: boolean;
  dashboardBuilt: boolean;
  /** Where each running forwarder listens. */
  forwarding?: string[];
}

export function startupBanner({ address, adminOn, dashboardBuilt, forwarding = [] }: BannerFacts): string {
  const admin = adminOn ? "admin API on" : "admin API off: set YALLMP_ADMIN_PASSWORD";
  const dashboard = dashboardBuilt ? `dashboard ${address}/dashboard` : "dashboard not built: run npm run build";
  const forwarders = forwarding.length > 0 ? `; forwarding ${forwarding.join(", ")}` : "";
  return `yaLLMproxy listening on ${address} — ${dashboard} (${admin})${forwarders}`;
}
