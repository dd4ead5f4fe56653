// The app keys of the running config.

import { useQuery } from "@tanstack/react-query";
import { keysQuery } from "../../api/queries/keys";
import { KeysPageView } from "./KeysPageView";

export function KeysPage() {
  const keys = useQuery(keysQuery());
  return <KeysPageView keys={keys.data?.data} enabled={keys.data?.enabled ?? true} error={keys.error} onRetry={() => void keys.refetch()} />;
}
