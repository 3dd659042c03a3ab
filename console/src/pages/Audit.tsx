// The audit log, newest first, a page at a time, filtered by action, time, actor and target (the
// API's filters, over the whole log); its export as JSON Lines or CSV; the latest signed
// checkpoint; and the chain's verification.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, getText, urlOf, type Schemas } from "../api/client";
import { Pager, Refusal, useLoad, usePages, when } from "../ui";

interface Entry {
  seq: number;
  at: string;
  action: string;
  actor: { type: string; id: string };
  target: { type: string; id: string };
}

interface Filters {
  action: string;
  since: string;
  until: string;
  actor: string;
  target: string;
}
const NO_FILTERS: Filters = { action: "", since: "", until: "", actor: "", target: "" };

/** A datetime-local value (the browser's local time) as the ISO instant the API expects. */
function instant(local: string): string | null {
  if (!local) return null;
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? local : at.toISOString();
}

export function Audit(): JSX.Element {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const pages = usePages();
  const cursor = pages.cursor;
  const page = useLoad(
    () =>
      api.get("/audit", {
        query: {
          limit: 25,
          cursor,
          action: filters.action || null,
          since: instant(filters.since),
          until: instant(filters.until),
          actor: filters.actor.trim() || null,
          target: filters.target.trim() || null,
        },
      }),
    [cursor, filters],
  );
  const entries = (page.data?.items ?? []) as unknown as Entry[];
  const filtered = Object.values(filters).some((value) => value !== "");
  return (
    <main id="main">
      <h1>Audit log</h1>
      <div class="grid">
        <Verify />
        <LatestCheckpoint />
        <section aria-labelledby="export-title" class="card">
          <h2 id="export-title">Export</h2>
          <p>The whole chain with its hashes, for your own records or an offline check.</p>
          <ul>
            <li>
              <a id="audit-export-jsonl" href={urlOf("/audit/export", { query: { format: "jsonl" } })} download="audit.jsonl">
                JSON Lines
              </a>
            </li>
            <li>
              <a id="audit-export-csv" href={urlOf("/audit/export", { query: { format: "csv" } })} download="audit.csv">
                CSV
              </a>
            </li>
            <li>
              <a id="audit-checkpoints" href={urlOf("/audit/checkpoints")} download="audit-checkpoints.jsonl">
                Signed checkpoints (JSON Lines)
              </a>
            </li>
          </ul>
        </section>
      </div>
      <FilterForm
        apply={(next) => {
          setFilters(next);
          pages.restart();
        }}
      />
      <section aria-labelledby="entries-title">
        <h2 id="entries-title">Entries (newest first)</h2>
        <Refusal error={page.error} id="audit-error" />
        {filtered && page.data?.next_cursor && (
          <p class="quiet" id="audit-narrowed">
            A filtered page reads up to 125 entries of the log to find 25 that match: older entries may match too.
          </p>
        )}
        <table id="audit-entries">
          <caption class="visually-hidden">Audit entries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Actor</th>
              <th scope="col">Target</th>
            </tr>
          </thead>
          <tbody>
            {page.data && entries.length === 0 && (
              <tr>
                <td colSpan={5}>{page.data.next_cursor ? "No entry on this page matches." : "No entry matches."}</td>
              </tr>
            )}
            {entries.map((entry) => (
              <tr key={entry.seq}>
                <td>{entry.seq}</td>
                <td>{when(entry.at)}</td>
                <td>{entry.action}</td>
                <td>
                  {entry.actor.type}:{entry.actor.id}
                </td>
                <td>
                  {entry.target.type}:{entry.target.id}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <Pager
          pages={pages}
          next={page.data?.next_cursor}
          back="Newer entries"
          forward="Older entries"
          ids={{ back: "audit-newer", forward: "audit-older" }}
        />
      </section>
    </main>
  );
}

function FilterForm(props: { apply: (filters: Filters) => void }): JSX.Element {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const field = (key: keyof Filters, label: string, time = false) => (
    <div>
      <label for={`audit-${key}`}>{label}</label>
      {time ? (
        <input id={`audit-${key}`} type="datetime-local" value={draft[key]} onInput={(e) => setDraft({ ...draft, [key]: e.currentTarget.value })} />
      ) : (
        <input id={`audit-${key}`} type="text" value={draft[key]} onInput={(e) => setDraft({ ...draft, [key]: e.currentTarget.value })} />
      )}
    </div>
  );
  return (
    <form
      class="card"
      aria-labelledby="filter-title"
      onSubmit={(e) => {
        e.preventDefault();
        props.apply(draft);
      }}
    >
      <h2 id="filter-title">Filter</h2>
      <div class="grid">
        {field("action", "Action (e.g. campaign.approved)")}
        {field("since", "From", true)}
        {field("until", "Until", true)}
        {field("actor", "Actor (type:id, e.g. user:usr_…)")}
        {field("target", "Target (type:id, e.g. campaign:cmp_…)")}
      </div>
      <div class="actions">
        <button type="submit" class="primary" id="audit-filter">
          Apply
        </button>
        <button
          type="button"
          id="audit-clear"
          onClick={() => {
            setDraft(NO_FILTERS);
            props.apply(NO_FILTERS);
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

interface CheckpointLine {
  checkpoint: string | Record<string, unknown>;
  key_id: string;
}

/** The newest signed checkpoint, from the checkpoints export (oldest first: the last line). */
async function latestCheckpoint(): Promise<{ seq: unknown; at: unknown; head: string; key: string } | null> {
  const lines = (await getText("/audit/checkpoints")).split("\n").filter((line) => line.trim() !== "");
  const last = lines[lines.length - 1];
  if (!last) return null;
  const line = JSON.parse(last) as CheckpointLine;
  const body = (typeof line.checkpoint === "string" ? JSON.parse(line.checkpoint) : line.checkpoint) as Record<string, unknown>;
  return { seq: body.seq, at: body.at, head: String(body.head_hash ?? ""), key: line.key_id };
}

function LatestCheckpoint(): JSX.Element {
  const found = useLoad(latestCheckpoint, []);
  return (
    <section aria-labelledby="checkpoint-title" class="card" id="checkpoint">
      <h2 id="checkpoint-title">Latest signed checkpoint</h2>
      <Refusal error={found.error} />
      {found.data === null && <p class="quiet">No checkpoint is signed yet: the checkpoint job signs the chain every few minutes.</p>}
      {found.data && (
        <dl>
          <dt>Up to entry</dt>
          <dd id="checkpoint-seq">#{String(found.data.seq)}</dd>
          <dt>Signed</dt>
          <dd>{when(String(found.data.at))}</dd>
          <dt>Head hash</dt>
          <dd>
            <code>{found.data.head.slice(0, 16)}…</code>
          </dd>
          <dt>Signing key</dt>
          <dd>{found.data.key}</dd>
        </dl>
      )}
    </section>
  );
}

function Verify(): JSX.Element {
  const [result, setResult] = useState<Schemas["VerifyResult"] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const verify = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await api.post("/audit/verify", { body: { full: true } }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="verify-title" class="card">
      <h2 id="verify-title">Tamper evidence</h2>
      <p>Recompute every entry's hash from the first and check each signed checkpoint.</p>
      <button type="button" id="verify-chain" class="primary" disabled={busy} onClick={() => void verify()}>
        Verify chain
      </button>
      <Refusal error={error} id="verify-error" />
      {result && (
        <div role="status" id="verify-result" class={result.ok ? "ok" : "refusal"}>
          <p>
            <strong>{result.ok ? "The chain is intact." : "The chain is broken."}</strong> {result.summary}
          </p>
          <dl>
            <dt>Entries checked</dt>
            <dd>{result.entries_checked}</dd>
            <dt>Head</dt>
            <dd>#{result.head_seq}</dd>
            <dt>Latest signed checkpoint</dt>
            <dd id="latest-checkpoint">{result.signed_seq > 0 ? `#${result.signed_seq}` : "none signed yet"}</dd>
            <dt>Checkpoint signatures checked</dt>
            <dd>{result.checkpoints_checked}</dd>
            {result.first_bad_seq !== null && (
              <>
                <dt>First broken entry</dt>
                <dd>#{result.first_bad_seq}</dd>
              </>
            )}
          </dl>
        </div>
      )}
    </section>
  );
}
