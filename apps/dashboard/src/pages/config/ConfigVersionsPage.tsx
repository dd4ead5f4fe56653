// Config versions: browse what each version changed and roll back to one.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { configVersionQuery, configVersionsQuery, rollbackConfigMutation, runningConfigQuery } from "../../api/queries/config";
import { errorMessage } from "../../lib/format";
import { ConfigVersionsPageView } from "./ConfigVersionsPageView";

export function ConfigVersionsPage() {
  const queryClient = useQueryClient();
  const versions = useQuery(configVersionsQuery());
  const running = useQuery(runningConfigQuery());
  const [picked, setPicked] = useState<number | null>(null);
  const selected = picked ?? versions.data?.[0]?.version ?? null;
  const detail = useQuery({ ...configVersionQuery(selected ?? 0), enabled: selected !== null });
  const rollback = useMutation(rollbackConfigMutation(queryClient));
  const [confirming, setConfirming] = useState(false);
  const [show, setShow] = useState<"changes" | "yaml" | null>(null);
  const [notice, setNotice] = useState<{ tone: "ok" | "error"; text: string } | null>(null);

  return (
    <ConfigVersionsPageView
      versions={versions.data}
      listError={versions.error}
      onRetry={() => void versions.refetch()}
      runningVersion={running.data?.version ?? undefined}
      selected={selected}
      onSelect={(v) => {
        setPicked(v);
        setShow(null);
        setConfirming(false);
      }}
      detail={detail.data}
      detailError={detail.error}
      confirming={confirming}
      onAskRollback={() => setConfirming(true)}
      onCancelRollback={() => setConfirming(false)}
      rollingBack={rollback.isPending}
      onConfirmRollback={() => {
        if (selected === null) return;
        rollback.mutate(selected, {
          onSuccess: ({ version }) => {
            setConfirming(false);
            if (version !== null) setPicked(version);
            setNotice({ tone: "ok", text: `Rolled back to version ${selected}${version === null ? "" : `, applied as version ${version}`}.` });
          },
          onError: (err) => setNotice({ tone: "error", text: `Rollback failed: ${errorMessage(err)}` }),
        });
      }}
      notice={notice}
      show={show}
      onShowChange={setShow}
    />
  );
}
