// One request's trace, by id from the URL; polled while the request is still running.

import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router-dom";
import { ApiError } from "../../api/api-error";
import { traceQuery } from "../../api/queries/traces";
import { buildCurl } from "./build-curl";
import { TracePageView } from "./TracePageView";

export function TracePage() {
  const { id = "" } = useParams();
  const trace = useQuery(traceQuery(id));
  const notFound = trace.error instanceof ApiError && trace.error.status === 404;
  const curl = trace.data?.clientRequest ? buildCurl(trace.data, window.location.origin) : null;
  return <TracePageView id={id} trace={trace.data} error={trace.error} notFound={notFound} onRetry={() => void trace.refetch()} curl={curl} />;
}
