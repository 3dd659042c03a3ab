// Small pieces every page uses: links that stay in the app, a refusal shown where it happened,
// loading data with its error kept beside it, and paging through a list by its cursors.
import type { ComponentChildren, JSX } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError } from "./api/client";
import { BASE, navigate } from "./router";

export function Link(props: { to: string; children: ComponentChildren; class?: string }): JSX.Element {
  const follow = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(props.to);
  };
  return (
    <a href={BASE + props.to} onClick={follow} class={props.class}>
      {props.children}
    </a>
  );
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.status} ${error.code})`;
  if (error instanceof Error) return error.message;
  return "something went wrong";
}

/** A refusal, announced to screen readers, placed next to the control that caused it. */
export function Refusal(props: { error: unknown; id?: string }): JSX.Element | null {
  if (!props.error) return null;
  return (
    <p class="refusal" role="alert" id={props.id}>
      {messageOf(props.error)}
    </p>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  reload: () => void;
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (value) => {
        if (live) {
          setData(value);
          setError(null);
        }
      },
      (failure: unknown) => {
        if (live) setError(failure);
      },
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, reload };
}

/** A button that runs one API action, disables itself meanwhile and shows its refusal beside it. */
export function Action(props: {
  label: string;
  run: () => Promise<unknown>;
  done?: () => void;
  kind?: "primary" | "danger";
  id: string;
}): JSX.Element {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const click = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.run();
      props.done?.();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const errorId = `${props.id}-error`;
  return (
    <span class="action">
      <button
        type="button"
        id={props.id}
        class={props.kind ?? ""}
        disabled={busy}
        aria-describedby={error ? errorId : undefined}
        onClick={click}
      >
        {props.label}
      </button>
      <Refusal error={error} id={errorId} />
    </span>
  );
}

export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : at.toLocaleString();
}

export function Counts(props: { counts: Record<string, number>; caption: string; id: string }): JSX.Element {
  const rows = Object.entries(props.counts).sort(([a], [b]) => a.localeCompare(b));
  return (
    <table class="counts" id={props.id}>
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Outcome</th>
          <th scope="col">Contacts</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={2}>none yet</td>
          </tr>
        ) : (
          rows.map(([name, count]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>{count}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

/** Cursor paging: the cursors of the pages read so far, so "back" returns to the one before. */
export interface Pages {
  cursor: string | null;
  restart: () => void;
  back: (() => void) | null;
  forward: (next: string | null | undefined) => void;
}

export function usePages(): Pages {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  return {
    cursor: cursors[cursors.length - 1] ?? null,
    restart: () => setCursors([null]),
    back: cursors.length > 1 ? () => setCursors(cursors.slice(0, -1)) : null,
    forward: (next) => {
      if (next) setCursors([...cursors, next]);
    },
  };
}

/** The back and forward buttons under a paged list (forward only while the API gave a cursor). */
export function Pager(props: {
  pages: Pages;
  next: string | null | undefined;
  back: string;
  forward: string;
  ids?: { back: string; forward: string };
}): JSX.Element {
  const { pages, next } = props;
  return (
    <div class="pager">
      {pages.back && (
        <button type="button" id={props.ids?.back} onClick={pages.back}>
          {props.back}
        </button>
      )}
      {next && (
        <button type="button" id={props.ids?.forward} onClick={() => pages.forward(next)}>
          {props.forward}
        </button>
      )}
    </div>
  );
}
