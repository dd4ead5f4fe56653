// A model's add, change, copy or delete: each is a new config version, so the model list, the
// running config and its versions are fetched again once it is applied.

import type { QueryClient } from "@tanstack/react-query";
import { addModel, copyModel, deleteModel, updateModel } from "../client";
import type { ModelChangeAnswer, ModelEntry } from "../types";
import { configKeys } from "./config";
import { modelKeys } from "./models";

export type ModelChange =
  | { kind: "add"; entry: ModelEntry }
  | { kind: "update"; name: string; entry: Omit<ModelEntry, "model_name"> }
  | { kind: "copy"; source: string; target: string }
  | { kind: "delete"; name: string };

function send(change: ModelChange): Promise<ModelChangeAnswer> {
  switch (change.kind) {
    case "add":
      return addModel(change.entry);
    case "update":
      return updateModel(change.name, change.entry);
    case "copy":
      return copyModel(change.source, change.target);
    case "delete":
      return deleteModel(change.name);
    default: {
      const never: never = change;
      throw new Error(`unknown change ${String(never)}`);
    }
  }
}

export const modelChangeMutation = (queryClient: QueryClient) => ({
  mutationFn: send,
  onSuccess: () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: modelKeys.all }), queryClient.invalidateQueries({ queryKey: configKeys.all })]).then(
      () => undefined,
    ),
});
