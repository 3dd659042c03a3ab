// Importing a CSV file of contacts: small files go inline, large ones by the presigned upload the
// API prepares; then the import's progress, and its per-row report (counts, refused rows and why).
// The file's contents stay in the page's memory: nothing of it is logged or stored.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { can } from "../roles";
import { navigate } from "../router";
import { useSession } from "../session";
import { Link, Refusal, useLoad, when } from "../ui";
import { useMayImport } from "./Contacts";

type ImportView = Schemas["ImportView"];

// The API takes request bodies up to 256 KiB; a larger file goes by presigned upload.
const INLINE_BYTES = 240 * 1024;
const POLL_MS = 1000;

async function importInline(file: File): Promise<ImportView> {
  return api.postRaw("/contacts/imports", { content: file, type: "text/csv" });
}

async function importByUpload(file: File): Promise<ImportView> {
  const ticket = await api.post("/contacts/imports/uploads");
  let stored: Response;
  try {
    stored = await fetch(ticket.upload_url, {
      method: ticket.method ?? "PUT",
      headers: ticket.headers as Record<string, string>,
      body: file,
      credentials: "omit",
    });
  } catch {
    // The browser could not reach the upload address (offline, or the console's connect-src or the
    // bucket's CORS rule refused it): say what to do instead of "failed to fetch".
    throw new Error(
      "this browser could not upload the file to the import bucket; nothing was imported. Split it into files of " +
        "at most 240 KB, or import it through the API (POST /contacts/imports/uploads).",
    );
  }
  if (!stored.ok) throw new Error(`the file could not be uploaded (${stored.status}); nothing was imported`);
  return api.post("/contacts/imports/{import_id}/start", { path: { import_id: ticket.import_id } });
}

export function ContactImport(): JSX.Element {
  const { me } = useSession();
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const mayImport = useMayImport(me.role);
  if (!can.writeContacts(me.role)) {
    return (
      <main id="main">
        <h1>Import contacts</h1>
        <p>Your role may read contacts, not import them.</p>
      </main>
    );
  }
  if (mayImport === false) {
    return (
      <main id="main">
        <h1>Import contacts</h1>
        <p id="import-refused">
          Your tenant keeps members to their campaigns' contacts, and an import may change any contact: an owner or
          admin imports contact files.
        </p>
      </main>
    );
  }
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const started = file.size <= INLINE_BYTES ? await importInline(file) : await importByUpload(file);
      navigate(`/contacts/imports/${started.import_id}`);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="narrow">
      <h1>Import contacts</h1>
      <form onSubmit={submit} noValidate>
        <label for="csv-file">CSV file</label>
        <input
          id="csv-file"
          type="file"
          accept=".csv,text/csv"
          aria-describedby={`csv-hint${error ? " import-error" : ""}`}
          onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
        />
        <p class="hint" id="csv-hint">
          One contact a line with a header row naming at least a <code>phone</code> column; consent columns as in{" "}
          <code>demo/contacts.csv</code>. Files up to 240 KB are sent at once, larger ones by a secure upload.
        </p>
        <Refusal error={error} id="import-error" />
        <button type="submit" class="primary" disabled={!file || busy} id="start-import">
          {busy ? "Sending…" : "Import"}
        </button>
      </form>
    </main>
  );
}

/** An import's progress while it runs, then its report. */
export function ImportReport(props: { id: string }): JSX.Element {
  const [view, setView] = useState<ImportView | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    const poll = async () => {
      try {
        const now = await api.get("/contacts/imports/{import_id}", { path: { import_id: props.id } });
        if (!live) return;
        setView(now);
        setError(null);
        if (now.status !== "completed" && now.status !== "failed") timer = window.setTimeout(poll, POLL_MS);
      } catch (failure) {
        if (live) setError(failure);
      }
    };
    void poll();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [props.id]);
  const done = view?.status === "completed" || view?.status === "failed";
  return (
    <main id="main">
      <h1>Contact import</h1>
      <p>
        Import <code id="import-id">{props.id}</code> · <Link to="/contacts">Contacts</Link> ·{" "}
        <Link to="/contacts/import">Import another file</Link>
      </p>
      <Refusal error={error} />
      {view && (
        <>
          <p role="status" aria-live="polite">
            Status: <strong id="import-status">{view.status}</strong>
            {!done && ` — ${view.counts.rows ?? 0} rows read so far`}
            {view.finished_at && ` (finished ${when(view.finished_at)})`}
          </p>
          {!done && <progress aria-label="Import in progress" />}
          {view.failure && (
            <p class="refusal" id="import-failure">
              {view.failure}
            </p>
          )}
          {done && <ImportCounts counts={view.counts} />}
          {done && <RefusedRows id={props.id} />}
        </>
      )}
    </main>
  );
}

function ImportCounts(props: { counts: Schemas["ImportCounts"] }): JSX.Element {
  const c = props.counts;
  const accepted = (c.created ?? 0) + (c.updated ?? 0) + (c.unchanged ?? 0);
  const rows: Array<[string, string, number]> = [
    ["rows", "Rows read", c.rows ?? 0],
    ["accepted", "Accepted", accepted],
    ["created", "— new contacts", c.created ?? 0],
    ["updated", "— updated contacts", c.updated ?? 0],
    ["unchanged", "— unchanged contacts", c.unchanged ?? 0],
    ["refused", "Refused", c.errors ?? 0],
  ];
  return (
    <table class="counts" id="import-counts">
      <caption>What the import did</caption>
      <tbody>
        {rows.map(([key, label, count]) => (
          <tr key={key} id={`import-${key}`}>
            <th scope="row">{label}</th>
            <td>{count}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The refused rows, a page at a time: row, field and reason (the API never returns the value). */
function RefusedRows(props: { id: string }): JSX.Element {
  const [items, setItems] = useState<Schemas["ErrorRow"][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const first = useLoad(async () => {
    const page = await api.get("/contacts/imports/{import_id}/errors", { path: { import_id: props.id } });
    setItems(page.items);
    setCursor(page.next_cursor);
    return page;
  }, [props.id]);
  const [error, setError] = useState<unknown>(null);
  const more = async () => {
    try {
      const page = await api.get("/contacts/imports/{import_id}/errors", {
        path: { import_id: props.id },
        query: { cursor },
      });
      setItems((shown) => [...shown, ...page.items]);
      setCursor(page.next_cursor);
    } catch (failure) {
      setError(failure);
    }
  };
  if (first.error) return <Refusal error={first.error} />;
  if (!first.data) return <p role="status">Loading the refused rows…</p>;
  if (items.length === 0) return <p id="refused-rows">No row was refused.</p>;
  return (
    <>
      <table id="refused-rows">
        <caption>Refused rows (row 1 is the header)</caption>
        <thead>
          <tr>
            <th scope="col">Row</th>
            <th scope="col">Field</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item, i) => (
            <tr key={`${item.row}-${item.field}-${i}`}>
              <td>{item.row}</td>
              <td>{item.field}</td>
              <td>{item.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor && (
        <button type="button" id="more-refused" onClick={() => void more()}>
          Show more refused rows
        </button>
      )}
      <Refusal error={error} />
    </>
  );
}
