// The suppression list: entries by their keyed reference (never a number), adding a number,
// checking numbers against it, and lifting one (owners, with a reason such as new consent).
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { can } from "../roles";
import { useSession } from "../session";
import { Pager, Refusal, useLoad, usePages, when } from "../ui";

export function Suppressions(): JSX.Element {
  const { me } = useSession();
  const pages = usePages();
  const cursor = pages.cursor;
  const list = useLoad(() => api.get("/suppressions", { query: { limit: 25, cursor } }), [cursor]);
  const changed = () => {
    pages.restart();
    list.reload();
  };
  return (
    <main id="main">
      <h1>Suppression list</h1>
      <p class="hint">A suppressed number gets no attempt on any channel, from any campaign, for good.</p>
      <div class="grid">
        {can.addSuppression(me.role) && <Add changed={changed} />}
        <Check />
        {can.liftSuppression(me.role) && <Lift changed={changed} />}
      </div>
      <section aria-labelledby="entries-title">
        <h2 id="entries-title">Entries (keyed references; the list never shows a number)</h2>
        <Refusal error={list.error} />
        <table id="suppressions">
          <caption class="visually-hidden">Suppression entries</caption>
          <thead>
            <tr>
              <th scope="col">Reference</th>
              <th scope="col">Added</th>
              <th scope="col">Why</th>
              <th scope="col">By</th>
            </tr>
          </thead>
          <tbody>
            {list.data && list.data.items.length === 0 && (
              <tr>
                <td colSpan={4}>The list is empty.</td>
              </tr>
            )}
            {(list.data?.items ?? []).map((entry) => (
              <tr key={entry.ref}>
                <td>
                  <code>{entry.ref.slice(0, 12)}…</code>
                </td>
                <td>{when(entry.added_at)}</td>
                <td>
                  {entry.sources.map((s) => s.replace(/_/g, " ")).join(", ")}
                  {entry.reason && ` — ${entry.reason}`}
                </td>
                <td>{entry.added_by}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <Pager pages={pages} next={list.data?.next_cursor} back="Newer" forward="More" />
      </section>
    </main>
  );
}

function Add(props: { changed: () => void }): JSX.Element {
  const [number, setNumber] = useState("");
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<Schemas["SuppressReply"] | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    try {
      setDone(await api.post("/suppressions", { body: { number, reason: reason || null } }));
      setNumber("");
      setReason("");
      props.changed();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section aria-labelledby="add-title" class="card">
      <h2 id="add-title">Suppress a number</h2>
      <form onSubmit={(e) => void submit(e)}>
        <label for="suppress-number">Number (E.164, e.g. +14155550100)</label>
        <input id="suppress-number" type="tel" autocomplete="off" required value={number} onInput={(e) => setNumber(e.currentTarget.value)} aria-describedby={error ? "suppress-error" : undefined} />
        <label for="suppress-reason">Reason (optional)</label>
        <input id="suppress-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        <Refusal error={error} id="suppress-error" />
        {done && (
          <p role="status" id="suppress-done" class="ok">
            {done.created ? "Suppressed." : "Already on the list."}
          </p>
        )}
        <button type="submit" class="primary" id="suppress-add">
          Suppress
        </button>
      </form>
    </section>
  );
}

function Check(): JSX.Element {
  const [numbers, setNumbers] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [answer, setAnswer] = useState<{ asked: string[]; suppressed: string[] } | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setAnswer(null);
    const asked = numbers
      .split(/[\s,]+/)
      .map((n) => n.trim())
      .filter(Boolean);
    try {
      const reply = await api.post("/suppressions/check", { body: { numbers: asked } });
      setAnswer({ asked, suppressed: reply.suppressed });
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section aria-labelledby="check-title" class="card">
      <h2 id="check-title">Check numbers</h2>
      <form onSubmit={(e) => void submit(e)}>
        <label for="check-numbers">Numbers (up to 100, one per line)</label>
        <textarea id="check-numbers" rows={3} required value={numbers} onInput={(e) => setNumbers(e.currentTarget.value)} aria-describedby={error ? "check-error" : undefined} />
        <Refusal error={error} id="check-error" />
        {answer && (
          <div role="status" id="check-result">
            <ul>
              {answer.asked.map((n) => (
                <li key={n}>
                  {n}: {answer.suppressed.includes(n) ? <strong>suppressed</strong> : "not suppressed"}
                </li>
              ))}
            </ul>
          </div>
        )}
        <button type="submit" id="check-submit">
          Check
        </button>
      </form>
    </section>
  );
}

function Lift(props: { changed: () => void }): JSX.Element {
  const [number, setNumber] = useState("");
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setDone(false);
    try {
      await api.post("/suppressions/remove", { body: { number, reason } });
      setDone(true);
      setNumber("");
      setReason("");
      props.changed();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section aria-labelledby="lift-title" class="card">
      <h2 id="lift-title">Lift a suppression (owners)</h2>
      <form onSubmit={(e) => void submit(e)}>
        <label for="lift-number">Number</label>
        <input id="lift-number" type="tel" autocomplete="off" required value={number} onInput={(e) => setNumber(e.currentTarget.value)} aria-describedby={error ? "lift-error" : undefined} />
        <label for="lift-reason">Reason (e.g. documented new consent)</label>
        <input id="lift-reason" required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        <Refusal error={error} id="lift-error" />
        {done && (
          <p role="status" id="lift-done" class="ok">
            Lifted: the number may be reached again where consent allows.
          </p>
        )}
        <button type="submit" class="danger" id="lift-submit">
          Lift
        </button>
      </form>
    </section>
  );
}
