// One stored response and its chain as a conversation, with replay; rendered from props.

import { Link } from "react-router-dom";
import type { ChainLink, StoredResponseDetail } from "../../api/types";
import { ErrorState } from "../../components/ErrorState";
import { LoadingState } from "../../components/LoadingState";
import type { ReplayState } from "../../hooks/useReplay";
import { formatDateTime } from "../../lib/format";
import { ConversationItems } from "./ConversationItems";
import { ReplayPanel } from "./ReplayPanel";

interface ChainTurn {
  link: ChainLink;
  detail: StoredResponseDetail | undefined;
  error: unknown;
}

export interface ResponseChainPageViewProps {
  id: string;
  detail: StoredResponseDetail | undefined;
  error: unknown;
  notFound: boolean;
  onRetry: () => void;
  turns: ChainTurn[];
  models: string[] | undefined;
  replay: ReplayState;
  onReplay: (model: string, mode: "turn" | "chain") => void;
  onStopReplay: () => void;
}

function Turn({ turn, index, current }: { turn: ChainTurn; index: number; current: boolean }) {
  const { link, detail } = turn;
  const instructions = detail?.response.instructions;
  return (
    <li className={`turn${current ? " turn-current" : ""}`} aria-current={current ? "true" : undefined}>
      <div className="turn-head">
        <span className="turn-no">Turn {index + 1}</span>
        {current ? (
          <span className="mono small">{link.id}</span>
        ) : (
          <Link className="mono small" to={`/responses/${encodeURIComponent(link.id)}`}>
            {link.id}
          </Link>
        )}
        <span className="tag">{link.model}</span>
        <span className={`tag ${link.status === "completed" ? "tag-ok" : link.status === "failed" ? "tag-error" : ""}`}>{link.status}</span>
        <span className="muted small">{formatDateTime(link.createdAt)}</span>
        {detail?.response.metadata?.replay_of ? <span className="tag tag-warn">replay of {detail.response.metadata.replay_of}</span> : null}
      </div>
      {!detail ? (
        turn.error ? (
          <ErrorState title="Could not load this turn" error={turn.error} />
        ) : (
          <LoadingState label="Loading turn…" />
        )
      ) : (
        <>
          {instructions ? (
            <div className="bubble bubble-system">
              <span className="bubble-role">instructions</span>
              <div className="bubble-text">{instructions}</div>
            </div>
          ) : null}
          <ConversationItems items={detail.inputItems} />
          <ConversationItems items={detail.response.output ?? []} />
        </>
      )}
    </li>
  );
}

export function ResponseChainPageView(props: ResponseChainPageViewProps) {
  const { id, detail, turns } = props;
  const back = (
    <Link to="/responses" className="back-link">
      ← Stored responses
    </Link>
  );
  if (!detail) {
    return (
      <div className="page">
        {back}
        {props.notFound ? (
          <ErrorState title="No such response" error={`No stored response with id ${id}; it may have expired.`} />
        ) : props.error ? (
          <ErrorState title="Could not load this response" error={props.error} onRetry={props.onRetry} />
        ) : (
          <LoadingState label="Loading the response…" />
        )}
      </div>
    );
  }
  return (
    <div className="page">
      {back}
      <div className="page-head">
        <h1>
          Conversation <span className="muted mono h1-sub">{detail.response.id}</span>
        </h1>
        <span className="tag">{detail.response.model}</span>
      </div>
      <section className="card" aria-labelledby="chain-title">
        <h2 id="chain-title">
          Chain{" "}
          <span className="muted small">
            ({turns.length} turn{turns.length === 1 ? "" : "s"}, oldest first)
          </span>
        </h2>
        <ol className="turns">
          {turns.map((t, i) => (
            <Turn key={t.link.id} turn={t} index={i} current={t.link.id === detail.response.id} />
          ))}
        </ol>
        {detail.children.length > 0 ? (
          <p className="small">
            Continued by{" "}
            {detail.children.map((c, i) => (
              <span key={c}>
                {i > 0 ? ", " : ""}
                <Link className="mono" to={`/responses/${encodeURIComponent(c)}`}>
                  {c}
                </Link>
              </span>
            ))}
          </p>
        ) : null}
      </section>
      {props.models ? (
        <ReplayPanel
          original={detail.response}
          chainLength={turns.length}
          models={props.models}
          replay={props.replay}
          onReplay={props.onReplay}
          onStop={props.onStopReplay}
        />
      ) : (
        <LoadingState label="Loading models…" />
      )}
    </div>
  );
}
