// The YAML editor: CodeMirror with YAML highlighting, and the server's validation problems shown
// on their lines (gutter marks and underlines).

import { yaml } from "@codemirror/lang-yaml";
import { type Diagnostic, lintGutter, linter, setDiagnostics } from "@codemirror/lint";
import CodeMirror, { EditorSelection, EditorView } from "@uiw/react-codemirror";
import { useEffect, useMemo, useState } from "react";
import type { ConfigProblem } from "../../api/types";

export interface YamlEditorProps {
  value: string;
  onChange: (value: string) => void;
  problems: ConfigProblem[];
  label: string;
  /** Moves the cursor to this line when `seq` changes. */
  jumpTo: { line: number; seq: number } | null;
  height?: string;
}

function toDiagnostics(view: EditorView, problems: ConfigProblem[]): Diagnostic[] {
  const doc = view.state.doc;
  const out: Diagnostic[] = [];
  for (const p of problems) {
    if (typeof p.line !== "number" || p.line < 1) continue;
    const line = doc.line(Math.min(doc.lines, Math.floor(p.line)));
    // Underline the text, not the indentation.
    const indent = /^\s*/.exec(line.text)?.[0].length ?? 0;
    out.push({
      from: line.from + Math.min(indent, line.length),
      to: line.to,
      severity: "error",
      message: p.path ? `${p.path}: ${p.message}` : p.message,
      source: "validation",
    });
  }
  return out;
}

export function YamlEditor({ value, onChange, problems, label, jumpTo, height = "620px" }: YamlEditorProps) {
  const [view, setView] = useState<EditorView | null>(null);
  // `linter(null)`: the lint state is part of the configuration, so it survives the reconfigurations
  // @uiw/react-codemirror makes (setDiagnostics alone would add it only until the next one).
  const extensions = useMemo(() => [yaml(), linter(null), lintGutter(), EditorView.contentAttributes.of({ "aria-label": label })], [label]);

  useEffect(() => {
    if (!view) return;
    view.dispatch(setDiagnostics(view.state, toDiagnostics(view, problems)));
    // The document changes under the same problems too (e.g. the draft is reset), so re-apply on value.
  }, [view, problems, value]);

  useEffect(() => {
    if (!view || !jumpTo) return;
    const doc = view.state.doc;
    const line = doc.line(Math.max(1, Math.min(doc.lines, jumpTo.line)));
    view.dispatch({ selection: EditorSelection.cursor(line.from), effects: EditorView.scrollIntoView(line.from, { y: "center" }) });
    view.focus();
  }, [view, jumpTo]);

  return (
    <div className="editor">
      <CodeMirror
        value={value}
        height={height}
        extensions={extensions}
        onChange={onChange}
        onCreateEditor={(v) => setView(v)}
        basicSetup={{ foldGutter: true, highlightActiveLine: true, autocompletion: false, closeBrackets: false }}
      />
    </div>
  );
}
