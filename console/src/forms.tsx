// Pieces the setup pages' forms share: a refusal shown at the field it names, the rest of a
// refusal shown at the form, and a destructive action that asks before it acts.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api/client";
import { Refusal } from "./ui";

/** Why the API refused this field (its 400/422 details name it as a dotted path), or []. */
export function reasonsFor(error: unknown, field: string): string[] {
  return error instanceof ApiError ? error.forField(field) : [];
}

/** The id of a field's refusal, for aria-describedby, when it has one. */
export function describedBy(error: unknown, field: string, prefix = ""): string | undefined {
  return reasonsFor(error, field).length > 0 ? `${prefix}${field}-error` : undefined;
}

export function FieldRefusal(props: { error: unknown; field: string; prefix?: string }): JSX.Element | null {
  const reasons = reasonsFor(props.error, props.field);
  if (reasons.length === 0) return null;
  return (
    <p class="refusal" id={`${props.prefix ?? ""}${props.field}-error`} role="alert">
      {reasons.join("; ")}
    </p>
  );
}

/**
 * The refusal at the form: its message, and the reasons no field of the form shows (a rule about
 * several fields arrives with an empty field name).
 */
export function FormRefusal(props: { error: unknown; fields: string[]; id: string }): JSX.Element | null {
  const { error } = props;
  if (!error) return null;
  if (!(error instanceof ApiError)) return <Refusal error={error} id={props.id} />;
  const shown = (detail: Record<string, string>) =>
    props.fields.some((field) => (detail.field ?? "").split(".").includes(field));
  const rest = error.details.filter((detail) => !shown(detail)).map((detail) => detail.reason ?? "");
  return (
    <div class="refusal" role="alert" id={props.id}>
      <p>
        {error.message} ({error.status} {error.code})
      </p>
      {rest.length > 0 && (
        <ul>
          {rest.map((reason, i) => (
            <li key={i}>{reason}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * A destructive action in two steps: the first button asks, naming what will happen; the second
 * does it. Its refusal stays beside it.
 */
export function Confirmed(props: {
  id: string;
  label: string;
  question: ComponentChildren;
  confirm: string;
  run: () => Promise<unknown>;
  done: () => void;
}): JSX.Element {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  // The button pressed is gone once the question shows: keyboard focus moves to the answer.
  useEffect(() => {
    if (asking) confirmButton.current?.focus();
  }, [asking]);
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.run();
      setAsking(false);
      props.done();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  if (!asking) {
    return (
      <span class="action">
        <button type="button" id={props.id} onClick={() => setAsking(true)}>
          {props.label}
        </button>
      </span>
    );
  }
  return (
    <span class="confirm" role="group" aria-labelledby={`${props.id}-question`}>
      <span id={`${props.id}-question`}>{props.question}</span>
      <span class="actions">
        <button
          type="button"
          class="danger"
          ref={confirmButton}
          id={`${props.id}-confirm`} disabled={busy} onClick={() => void go()}>
          {props.confirm}
        </button>
        <button type="button" id={`${props.id}-keep`} onClick={() => setAsking(false)}>
          Keep it
        </button>
      </span>
      <Refusal error={error} id={`${props.id}-error`} />
    </span>
  );
}
