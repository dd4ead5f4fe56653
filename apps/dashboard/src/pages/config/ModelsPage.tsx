// The models and their `extends` tree, as the running config defines them.

import { useQuery } from "@tanstack/react-query";
import { modelsQuery } from "../../api/queries/models";
import { DeploymentsPanel } from "./DeploymentsPanel";
import { ModelsPageView } from "./ModelsPageView";

export function ModelsPage() {
  const models = useQuery(modelsQuery());
  return (
    <>
      <ModelsPageView models={models.data} error={models.error} onRetry={() => void models.refetch()} />
      <DeploymentsPanel />
    </>
  );
}
