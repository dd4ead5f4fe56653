// Config editor: a draft of the running YAML, validated by the server as it is typed (debounced),
// diffed against the running config, and applied without a restart.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { ApiError } from "../../api/api-error";
import { applyConfigMutation, runningConfigQuery, validateConfigMutation } from "../../api/queries/config";
import type { ConfigProblem, ValidationResult } from "../../api/types";
import { errorMessage } from "../../lib/format";
import { lineDiff } from "../../lib/line-diff";
import { ConfigEditorPageView } from "./ConfigEditorPageView";
import type { ValidationState } from "./ProblemsPanel";

const VALIDATE_AFTER_MS = 400;

type Checked = { yaml: string; result: ValidationResult } | { yaml: string; failed: string };

/** Server-side validation of the draft, debounced; only the answer for the latest draft counts. */
function useDraftValidation(text: string, dirty: boolean) {
  const { mutateAsync: validateAsync } = useMutation(validateConfigMutation());
  const [checked, setChecked] = useState<Checked | null>(null);
  const latest = useRef(0);

  useEffect(() => {
    if (!dirty) return;
    const seq = ++latest.current;
    const t = setTimeout(() => {
      validateAsync(text).then(
        (result) => seq === latest.current && setChecked({ yaml: text, result }),
        (err: unknown) => seq === latest.current && setChecked({ yaml: text, failed: errorMessage(err) }),
      );
    }, VALIDATE_AFTER_MS);
    return () => clearTimeout(t);
  }, [text, dirty, validateAsync]);

  const current = checked?.yaml === text ? checked : null;
  const validation: ValidationState = !dirty
    ? { kind: "unchanged" }
    : current === null
      ? { kind: "validating" }
      : "failed" in current
        ? { kind: "failed", message: current.failed }
        : { kind: "result", result: current.result };
  // Keep the last known problems on screen while the next check runs, like any linter.
  const problems: ConfigProblem[] = useMemo(() => {
    if (!dirty || !checked || "failed" in checked || checked.result.valid) return [];
    return checked.result.errors;
  }, [dirty, checked]);
  return { validation, problems, setChecked };
}

export function ConfigEditorPage() {
  const queryClient = useQueryClient();
  const running = useQuery(runningConfigQuery());
  const apply = useMutation(applyConfigMutation(queryClient));
  const [draft, setDraft] = useState<string | null>(null);
  const [mode, setMode] = useState<"edit" | "diff">("edit");
  const [notice, setNotice] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  const [jumpTo, setJumpTo] = useState<{ line: number; seq: number } | null>(null);

  const runningYaml = running.data?.yaml ?? "";
  const text = draft ?? runningYaml;
  const dirty = running.data !== undefined && text !== runningYaml;

  const { validation, problems, setChecked } = useDraftValidation(text, dirty);
  // Always computed: the Diff button shows how many lines changed. Common ends are trimmed first,
  // so a local edit of a long file stays cheap.
  const diff = useMemo(() => (dirty ? lineDiff(runningYaml, text) : []), [dirty, runningYaml, text]);
  const knownInvalid = validation.kind === "result" && !validation.result.valid;

  const onApply = () => {
    const yaml = text;
    setNotice(null);
    apply.mutate(yaml, {
      onSuccess: ({ version }) => {
        setDraft(null);
        setChecked(null);
        setNotice({
          tone: "ok",
          text: `Applied${version === null ? "" : ` as version ${version}`}. The new config is live; requests already running finish on the old one.`,
        });
      },
      onError: (err) => {
        if (err instanceof ApiError && err.status === 400) {
          setChecked({ yaml, result: { valid: false, message: err.message, errors: err.problems } });
          setNotice({ tone: "error", text: `Not applied: ${err.message}` });
        } else setNotice({ tone: "error", text: `Not applied: ${errorMessage(err)}` });
      },
    });
  };

  return (
    <ConfigEditorPageView
      running={running.data}
      loadError={running.error}
      onRetry={() => void running.refetch()}
      draft={text}
      onDraftChange={(v) => {
        setDraft(v);
        if (notice?.tone === "ok") setNotice(null);
      }}
      mode={mode}
      onModeChange={setMode}
      diff={diff}
      dirty={dirty}
      validation={validation}
      problems={problems}
      canApply={dirty && !knownInvalid && !apply.isPending}
      applying={apply.isPending}
      onApply={onApply}
      onRevert={() => {
        setDraft(null);
        setChecked(null);
        setNotice(null);
      }}
      notice={notice}
      jumpTo={jumpTo}
      onJump={(line) => {
        setMode("edit");
        setJumpTo((j) => ({ line, seq: (j?.seq ?? 0) + 1 }));
      }}
    />
  );
}
