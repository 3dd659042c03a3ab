// The audit log, newest first, a page at a time, and the chain's verification with its checkpoint.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { Refusal, useLoad, when } from "../ui";

interface Entry {
  seq: number;
  at: string;
  action: string;
  actor: { type: string; id: string };
  target: { type: string; id: string };
}

export function Audit(): JSX.Element {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useLoad(() => api.get("/audit", { query: { limit: 25, cursor } }), [cursor]);
  const entries = (page.data?.items ?? []) as unknown as Entry[];
  return (
    <main id="main">
      <h1>Audit log</h1>
      <Verify />
      <section aria-labelledby="entries-title">
        <h2 id="entries-title">Entries (newest first)</h2>
        <Refusal error={page.error} />
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
        <div class="pager">
          {cursors.length > 1 && (
            <button type="button" onClick={() => setCursors(cursors.slice(0, -1))}>
              Newer entries
            </button>
          )}
          {page.data?.next_cursor && (
            <button type="button" onClick={() => setCursors([...cursors, page.data?.next_cursor ?? null])}>
              Older entries
            </button>
          )}
        </div>
      </section>
    </main>
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
