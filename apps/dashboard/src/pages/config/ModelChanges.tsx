// Adding, editing, copying and deleting models from the Models page: the Add button, the open
// form or confirm, each row's actions, and what the last change did (the config version it made).

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { type ModelChange, modelChangeMutation } from "../../api/queries/model-changes";
import { modelEntryQuery } from "../../api/queries/models";
import type { ModelChangeAnswer, ModelEntry, ModelInfo } from "../../api/types";
import { ErrorState } from "../../components/ErrorState";
import { LoadingState } from "../../components/LoadingState";
import { ModelCopyDialog } from "./ModelCopyDialog";
import { ModelDeleteDialog } from "./ModelDeleteDialog";
import { ModelForm } from "./ModelForm";
import { emptyForm, formFromEntry } from "./model-form";
import "./model-forms.css";

export type ModelPanel = { kind: "add" } | { kind: "edit" | "copy" | "delete"; name: string };

function doneText(change: ModelChange, answer: ModelChangeAnswer): string {
  const what =
    change.kind === "add"
      ? `Added model ${change.entry.model_name}`
      : change.kind === "update"
        ? `Saved model ${change.name}`
        : change.kind === "copy"
          ? `Copied ${change.source} to ${change.target}`
          : `Deleted model ${change.name}`;
  return answer.version === null ? `${what}.` : `${what} as config version ${answer.version}.`;
}

export function ModelRowActions({ model, onOpen }: { model: ModelInfo; onOpen: (panel: ModelPanel) => void }) {
  return (
    <span className="row-actions">
      <button type="button" className="link-button" aria-label={`Edit ${model.name}`} onClick={() => onOpen({ kind: "edit", name: model.name })}>
        Edit
      </button>
      <button type="button" className="link-button" aria-label={`Copy ${model.name}`} onClick={() => onOpen({ kind: "copy", name: model.name })}>
        Copy
      </button>
      <button type="button" className="link-button danger" aria-label={`Delete ${model.name}`} onClick={() => onOpen({ kind: "delete", name: model.name })}>
        Delete
      </button>
    </span>
  );
}

export interface ModelChangesProps {
  models: ModelInfo[];
  panel: ModelPanel | null;
  onPanel: (panel: ModelPanel | null) => void;
}

export function ModelChanges({ models, panel, onPanel }: ModelChangesProps) {
  const queryClient = useQueryClient();
  const change = useMutation(modelChangeMutation(queryClient));
  const [done, setDone] = useState<string | null>(null);
  const top = useRef<HTMLDivElement>(null);
  // A row's form opens above the table, maybe out of sight: bring it (or the result) into view.
  useEffect(() => {
    if (panel || done) top.current?.scrollIntoView({ block: "nearest" });
  }, [panel, done]);

  const open = (next: ModelPanel | null) => {
    change.reset();
    if (next) setDone(null);
    onPanel(next);
  };
  const run = (c: ModelChange) =>
    change.mutate(c, {
      onSuccess: (answer) => {
        setDone(doneText(c, answer));
        onPanel(null);
      },
    });
  const common = { models, saving: change.isPending, error: change.error, onCancel: () => open(null) };
  const target = panel && panel.kind !== "add" ? models.find((m) => m.name === panel.name) : undefined;

  return (
    <div className="model-changes" ref={top}>
      <div className="toolbar">
        <button type="button" className="btn btn-primary" onClick={() => open({ kind: "add" })} disabled={panel?.kind === "add"}>
          Add model
        </button>
        {done ? (
          <p className="notice notice-ok" role="status">
            {done}
          </p>
        ) : null}
      </div>
      {panel?.kind === "add" ? <ModelForm {...common} mode="add" initial={emptyForm()} onSubmit={(entry) => run({ kind: "add", entry })} /> : null}
      {panel?.kind === "edit" ? <ModelEditPanel {...common} name={panel.name} onSave={(entry) => run({ kind: "update", name: panel.name, entry })} /> : null}
      {panel?.kind === "copy" ? (
        <ModelCopyDialog key={panel.name} source={panel.name} {...common} onCopy={(t) => run({ kind: "copy", source: panel.name, target: t })} />
      ) : null}
      {panel?.kind === "delete" && target ? (
        <ModelDeleteDialog {...common} model={target} deleting={change.isPending} onDelete={() => run({ kind: "delete", name: panel.name })} />
      ) : null}
    </div>
  );
}

interface ModelEditPanelProps {
  name: string;
  models: ModelInfo[];
  saving: boolean;
  error: unknown;
  onSave: (entry: Omit<ModelEntry, "model_name">) => void;
  onCancel: () => void;
}

/** The edit form, once the entry it starts from is read. */
function ModelEditPanel({ name, onSave, ...rest }: ModelEditPanelProps) {
  const entry = useQuery(modelEntryQuery(name));
  if (!entry.data) {
    return entry.error ? (
      <ErrorState title={`Could not read model ${name}`} error={entry.error} onRetry={() => void entry.refetch()} />
    ) : (
      <LoadingState label="Reading the model…" />
    );
  }
  return (
    <ModelForm
      {...rest}
      key={name}
      mode="edit"
      initial={formFromEntry(entry.data.entry)}
      base={entry.data.entry}
      protectedModel={entry.data.protected}
      onSubmit={({ model_name: _name, ...fields }) => onSave(fields)}
    />
  );
}
