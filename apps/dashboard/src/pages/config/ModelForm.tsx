// The form that adds a model or edits one: the fields most entries set, each showing the server's
// problems at its path; everything else of the entry is kept as it was.

import { type FormEvent, type ReactNode, useState } from "react";
import { ApiError } from "../../api/api-error";
import type { ConfigProblem, ModelEntry, ModelInfo } from "../../api/types";
import { errorMessage } from "../../lib/format";
import { API_TYPES, type FormField, MAX_PARAMETERS_CHARS, type ModelFormValues, entryFromForm, problemsByField } from "./model-form";
import "./model-forms.css";

export interface ModelFormProps {
  mode: "add" | "edit";
  initial: ModelFormValues;
  /** The entry being edited, whose other fields are kept. */
  base?: ModelEntry;
  models: ModelInfo[];
  protectedModel?: boolean;
  saving: boolean;
  /** The last answer refusing the change. */
  error: unknown;
  onSubmit: (entry: ModelEntry) => void;
  onCancel: () => void;
}

interface FieldProps {
  name: FormField;
  label: string;
  hint?: ReactNode;
  errors: string[] | undefined;
  children: (attrs: { id: string; "aria-invalid": boolean; "aria-describedby"?: string }) => ReactNode;
}

function Field({ name, label, hint, errors, children }: FieldProps) {
  const id = `model-field-${name}`;
  const described = [hint ? `${id}-hint` : "", errors?.length ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div className={`model-field${errors?.length ? " invalid" : ""}`} data-field={name}>
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-invalid": Boolean(errors?.length), ...(described ? { "aria-describedby": described } : {}) })}
      {hint ? (
        <span className="muted small" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      {errors?.length ? (
        <span className="field-error" id={`${id}-error`}>
          {errors.join(" ")}
        </span>
      ) : null}
    </div>
  );
}

/** The refusal as the form shows it: problems at their fields, the rest above the buttons. */
function serverProblems(error: unknown) {
  if (!(error instanceof ApiError)) return { fields: {}, other: [], message: error ? errorMessage(error) : null };
  if (error.code === "model_exists") return { fields: { model_name: [error.message] }, other: [], message: null };
  const sorted = problemsByField(error.problems);
  const message = error.problems.length > 0 && sorted.other.length === 0 ? "Not saved: see the problems at the fields." : error.message;
  return { ...sorted, message };
}

/** A server problem list: the message, and the problems no field shows. */
export function ProblemsNotice({ message, problems, label = "Other problems" }: { message: string | null; problems: ConfigProblem[]; label?: string }) {
  if (!message && problems.length === 0) return null;
  return (
    <div className="notice notice-error" role="alert">
      {message ? <p className="model-form-message">{message}</p> : null}
      {problems.length > 0 ? (
        <ul className="warning-list" aria-label={label}>
          {problems.map((p, i) => (
            <li key={i}>
              <span className="mono">{p.path}</span>: {p.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

interface ModelFieldsProps {
  mode: "add" | "edit";
  values: ModelFormValues;
  initial: ModelFormValues;
  parents: string[];
  set: (f: FormField) => (e: { target: { value: string } }) => void;
  errorsOf: (f: FormField) => string[] | undefined;
}

function ModelFields({ mode, values, initial, parents, set, errorsOf }: ModelFieldsProps) {
  return (
    <div className="model-form-grid">
      <Field
        name="model_name"
        label="Model name"
        errors={errorsOf("model_name")}
        hint={mode === "edit" ? "The name cannot be changed; copy the model instead." : undefined}
      >
        {(a) => <input {...a} value={values.model_name} onChange={set("model_name")} readOnly={mode === "edit"} maxLength={200} autoFocus={mode === "add"} />}
      </Field>
      <Field name="extends" label="Extends" errors={errorsOf("extends")} hint="Fields not set here are inherited from it.">
        {(a) => (
          <select {...a} value={values.extends} onChange={set("extends")}>
            <option value="">(none)</option>
            {parents.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field name="api_type" label="API type" errors={errorsOf("api_type")}>
        {(a) => (
          <select {...a} value={values.api_type} onChange={set("api_type")}>
            <option value="">{values.extends ? "(inherited)" : "(default: openai)"}</option>
            {API_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field name="api_base" label="API base" errors={errorsOf("api_base")} hint="e.g. https://api.openai.com/v1">
        {(a) => <input {...a} value={values.api_base} onChange={set("api_base")} maxLength={2000} spellCheck={false} />}
      </Field>
      <Field name="model" label="Upstream model" errors={errorsOf("model")} hint="The name the backend knows it by.">
        {(a) => <input {...a} value={values.model} onChange={set("model")} maxLength={500} spellCheck={false} />}
      </Field>
      <Field
        name="api_key"
        label="API key"
        errors={errorsOf("api_key")}
        hint={
          mode === "edit" && values.api_key === initial.api_key && values.api_key
            ? "Left as it is, the current key is kept."
            : "Stored in configs/.env, not in the config file."
        }
      >
        {(a) => <input {...a} type="password" value={values.api_key} onChange={set("api_key")} maxLength={4000} autoComplete="off" />}
      </Field>
      <Field name="request_timeout" label="Request timeout (s)" errors={errorsOf("request_timeout")}>
        {(a) => <input {...a} inputMode="decimal" value={values.request_timeout} onChange={set("request_timeout")} maxLength={20} placeholder="600" />}
      </Field>
      <Field name="parameters" label="Parameters (JSON)" errors={errorsOf("parameters")} hint='e.g. {"temperature": {"default": 0.2, "allow_override": false}}'>
        {(a) => (
          <textarea
            {...a}
            className="mono"
            rows={4}
            value={values.parameters}
            onChange={set("parameters")}
            maxLength={MAX_PARAMETERS_CHARS}
            spellCheck={false}
          />
        )}
      </Field>
    </div>
  );
}

export function ModelForm(props: ModelFormProps) {
  const { mode, models, base } = props;
  const [values, setValues] = useState(props.initial);
  const [local, setLocal] = useState<Partial<Record<FormField, string>>>({});
  const server = serverProblems(props.error);
  const errorsOf = (f: FormField): string[] | undefined => (local[f] ? [local[f]] : server.fields[f as keyof typeof server.fields]);
  const set = (f: FormField) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [f]: e.target.value }));
  const parents = models.filter((m) => m.name !== values.model_name || mode === "add").map((m) => m.name);
  const title = mode === "add" ? "Add model" : `Edit model ${values.model_name}`;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = entryFromForm(values, base);
    setLocal(result.problems ?? {});
    if (result.entry) props.onSubmit(result.entry);
  };

  return (
    <form className="card model-form" aria-label={title} onSubmit={submit} noValidate>
      <div className="section-head">
        <h2>{title}</h2>
      </div>
      {props.protectedModel ? (
        <p className="notice notice-warn">
          This model is protected (protected: true): the proxy refuses changes to it made here. Edit the config file instead.
        </p>
      ) : null}
      <ModelFields mode={mode} values={values} initial={props.initial} parents={parents} set={set} errorsOf={errorsOf} />
      <ProblemsNotice message={server.message} problems={server.other} />
      <div className="toolbar">
        <button type="submit" className="btn btn-primary" disabled={props.saving}>
          {props.saving ? "Saving…" : mode === "add" ? "Create model" : "Save changes"}
        </button>
        <button type="button" className="btn" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
