// Deployment queries: every model group's deployments as the router sees them now, refreshed while
// the page is open (health and load change by the second).

import { queryOptions } from "@tanstack/react-query";
import { getDeployments } from "../client";

/** How often the deployments view asks again. */
const DEPLOYMENTS_REFRESH_MS = 2000;

const deploymentKeys = {
  all: ["deployments"] as const,
};

export const deploymentsQuery = () =>
  queryOptions({ queryKey: deploymentKeys.all, queryFn: getDeployments, refetchInterval: DEPLOYMENTS_REFRESH_MS, refetchIntervalInBackground: false });
