// The app keys of the running config, and their management: each change is saved as a config
// version; a new or regenerated secret is held here only until dismissed.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { createKeyMutation, deleteKeyMutation, keysQuery, regenerateKeyMutation, updateKeyMutation } from "../../api/queries/keys";
import { KeysPageView } from "./KeysPageView";
import { modelLimitRows } from "./model-limits";

export function KeysPage() {
  const queryClient = useQueryClient();
  const keys = useQuery(keysQuery());
  const modelLimits = useMemo(() => new Map((keys.data?.keys ?? []).map((e) => [e.key_id, modelLimitRows(e)])), [keys.data]);
  const [secret, setSecret] = useState<{ title: string; secret: string } | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const create = useMutation(createKeyMutation(queryClient));
  const update = useMutation(updateKeyMutation(queryClient));
  const regenerate = useMutation(regenerateKeyMutation(queryClient));
  const remove = useMutation(deleteKeyMutation(queryClient));
  const all = [create, update, regenerate, remove];
  const reset = () => all.forEach((m) => m.reset());
  return (
    <KeysPageView
      keys={keys.data?.data}
      modelLimits={modelLimits}
      enabled={keys.data?.enabled ?? true}
      error={keys.error}
      onRetry={() => void keys.refetch()}
      actions={{
        busy: all.some((m) => m.isPending),
        error: all.find((m) => m.error)?.error ?? null,
        secret,
        editing,
        deleting,
        onCreate: (body) => {
          reset();
          create.mutate(body, { onSuccess: (r) => r.secret && setSecret({ title: `Key ${r.key_id ?? ""} created.`, secret: r.secret }) });
        },
        onEdit: (keyId) => {
          reset();
          setEditing(keyId);
        },
        onSaveLimits: (keyId, body) => update.mutate({ keyId, body }, { onSuccess: () => setEditing(null) }),
        onRegenerate: (keyId) => {
          reset();
          regenerate.mutate(keyId, { onSuccess: (r) => setSecret({ title: `New secret of ${r.key_id}.`, secret: r.secret }) });
        },
        onAskDelete: (keyId) => {
          reset();
          setDeleting(keyId);
        },
        onDelete: (keyId) => remove.mutate(keyId, { onSuccess: () => setDeleting(null) }),
        onDismissSecret: () => setSecret(null),
      }}
    />
  );
}
