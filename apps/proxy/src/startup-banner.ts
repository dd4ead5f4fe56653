// The line a person reads when the proxy starts: where it listens, where the dashboard is, and
// whether the admin API (and so the dashboard's sign-in) is on.

export interface BannerFacts {
  address: string;
  adminOn: boolean;
  dashboardBuilt: boolean;
}

export function startupBanner({ address, adminOn, dashboardBuilt }: BannerFacts): string {
  const admin = adminOn ? "admin API on" : "admin API off: set YALLMP_ADMIN_PASSWORD";
  const dashboard = dashboardBuilt ? `dashboard ${address}/dashboard` : "dashboard not built: run npm run build";
  return `yaLLMproxy listening on ${address} — ${dashboard} (${admin})`;
}
