// A stored response with every turn of its chain, and replay against any model.

import { useQueries, useQuery } from "@tanstack/react-query";
import { useParams } from "react-router-dom";
import { ApiError } from "../../api/api-error";
import { modelsQuery } from "../../api/queries/models";
import { responseQuery } from "../../api/queries/responses";
import { useReplay } from "../../hooks/useReplay";
import { ResponseChainPageView } from "./ResponseChainPageView";

export function ResponseChainPage() {
  const { id = "" } = useParams();
  // A new id is a new page: the replay of the previous one must not linger.
  return <ResponseChain key={id} id={id} />;
}

function ResponseChain({ id }: { id: string }) {
  const detail = useQuery(responseQuery(id));
  const models = useQuery(modelsQuery());
  const chain = detail.data?.chain ?? [];
  const links =
    chain.length > 0 ? chain : detail.data ? [{ id, model: detail.data.response.model, createdAt: "", status: detail.data.response.status ?? "" }] : [];
  const turnQueries = useQueries({ queries: links.map((l) => responseQuery(l.id)) });
  const { state: replay, start, stop } = useReplay();
  return (
    <ResponseChainPageView
      id={id}
      detail={detail.data}
      error={detail.error}
      notFound={detail.error instanceof ApiError && detail.error.status === 404}
      onRetry={() => void detail.refetch()}
      turns={links.map((link, i) => ({ link, detail: turnQueries[i]?.data, error: turnQueries[i]?.error ?? null }))}
      models={models.data?.map((m) => m.name)}
      replay={replay}
      onReplay={(model, mode) => void start(id, model, mode)}
      onStopReplay={stop}
    />
  );
}
