// The models and their `extends` tree, as the running config defines them, with forms to add,
// edit, copy and delete them.

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { modelsQuery } from "../../api/queries/models";
import { DeploymentsPanel } from "./DeploymentsPanel";
import { ModelChanges, type ModelPanel, ModelRowActions } from "./ModelChanges";
import { ModelsPageView } from "./ModelsPageView";

export function ModelsPage() {
  const models = useQuery(modelsQuery());
  const [panel, setPanel] = useState<ModelPanel | null>(null);
  return (
    <>
      {models.data ? <ModelChanges models={models.data} panel={panel} onPanel={setPanel} /> : null}
      <ModelsPageView
        models={models.data}
        error={models.error}
        onRetry={() => void models.refetch()}
        actions={(m) => <ModelRowActions model={m} onOpen={setPanel} />}
      />
      <DeploymentsPanel />
    </>
  );
}
