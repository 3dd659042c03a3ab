// One contact: consent evidence, zones and states, the DNC stamp, suppression, per-channel
// eligibility, the attempts and their outcomes (the SMS thread's texts out, the calls), the
// data-subject export, and erasure behind a confirmation that names what goes.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, type Schemas } from "../api/client";
import { can } from "../roles";
import { navigate } from "../router";
import { useSession } from "../session";
import { Link, Refusal, useLoad, when } from "../ui";
import { reasonInWords } from "./words";

type Contact = Schemas["ContactView"];

export function ContactDetail(props: { id: string }): JSX.Element {
  const { me } = useSession();
  const contact = useLoad(() => api.get("/contacts/{contact_id}", { path: { contact_id: props.id } }), [props.id]);
  const c = contact.data;
  const name = c ? [c.first_name, c.last_name].filter(Boolean).join(" ") || "Unnamed contact" : "Contact";
  return (
    <main id="main">
      <h1>{name}</h1>
      <Refusal error={contact.error} id="contact-error" />
      {c && (
        <>
          <Summary contact={c} />
          <Eligibility contact={c} />
          <Consent contact={c} />
          <Dnc contact={c} />
          {can.readConversations(me.role) && <Texts contactId={c.contact_id} />}
          {can.readCalls(me.role) && <Calls contactId={c.contact_id} />}
          {(can.exportContacts(me.role) || can.eraseContacts(me.role)) && <PersonData contact={c} name={name} />}
        </>
      )}
    </main>
  );
}

function Summary(props: { contact: Contact }): JSX.Element {
  const { contact: c } = props;
  // The contact's own flag is what the list said at intake; the list itself answers for now.
  const listed = useLoad(() => api.post("/suppressions/check", { body: { numbers: [c.phone] } }), [c.phone]);
  return (
    <section aria-labelledby="summary-title" class="card">
      <h2 id="summary-title">Who and where</h2>
      <dl>
        <dt>Number</dt>
        <dd>{c.phone}</dd>
        {c.email && (
          <>
            <dt>E-mail</dt>
            <dd>{c.email}</dd>
          </>
        )}
        <dt>State on file</dt>
        <dd>{c.state ?? "none"}</dd>
        <dt>States the person may be in</dt>
        <dd id="contact-states">{c.states.join(", ") || "none known"}</dd>
        <dt>Time zones</dt>
        <dd id="contact-zones">{c.zones.join(", ") || "unknown"}</dd>
        <dt>Suppression</dt>
        <dd id="contact-suppressed">
          <Refusal error={listed.error} />
          {listed.data &&
            (listed.data.suppressed.length > 0 ? <strong>On the suppression list: no attempt on any channel</strong> : "Not on the suppression list")}
        </dd>
        <dt>Tags</dt>
        <dd>{c.tags.join(", ") || "none"}</dd>
        <dt>Added</dt>
        <dd>{when(c.created_at)}</dd>
      </dl>
    </section>
  );
}

function Eligibility(props: { contact: Contact }): JSX.Element {
  const rows = Object.entries(props.contact.eligibility);
  return (
    <section aria-labelledby="eligibility-title" class="card">
      <h2 id="eligibility-title">Eligibility by channel</h2>
      <table id="contact-eligibility">
        <caption class="visually-hidden">Whether a campaign may reach the contact, per channel</caption>
        <thead>
          <tr>
            <th scope="col">Channel</th>
            <th scope="col">Eligible</th>
            <th scope="col">Why not</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([channel, e]) => (
            <tr key={channel}>
              <th scope="row">{channel}</th>
              <td>{e.eligible ? "yes" : "no"}</td>
              <td>{e.reasons.map(reasonInWords).join("; ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Consent(props: { contact: Contact }): JSX.Element {
  const evidence = props.contact.consent;
  return (
    <section aria-labelledby="consent-title" class="card" id="contact-consent">
      <h2 id="consent-title">Consent evidence</h2>
      {evidence.length === 0 ? (
        <p class="quiet">No consent evidence is on file.</p>
      ) : (
        <ul>
          {evidence.map((e, i) => (
            <li key={i}>
              <strong>{e.type.replace(/_/g, " ")}</strong> for {e.channels.join(", ")}, obtained {when(e.obtained_at)} ({e.source}
              {e.source_url && `, ${e.source_url}`})
              {e.wording && <q> {e.wording}</q>}
              {e.seller && ` — seller ${e.seller}`}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Dnc(props: { contact: Contact }): JSX.Element {
  const stamp = props.contact.dnc;
  return (
    <section aria-labelledby="dnc-stamp-title" class="card" id="contact-dnc">
      <h2 id="dnc-stamp-title">Do-Not-Call</h2>
      <p>
        Status: <strong>{props.contact.dnc_status}</strong>
      </p>
      {stamp && (
        <dl>
          <dt>Checked</dt>
          <dd>
            {when(stamp.checked_at)} by {stamp.source}
          </dd>
          {stamp.data_as_of && (
            <>
              <dt>Registry data as of</dt>
              <dd>{when(stamp.data_as_of)}</dd>
            </>
          )}
          {stamp.reason && (
            <>
              <dt>Reason</dt>
              <dd>{reasonInWords(stamp.reason)}</dd>
            </>
          )}
          {Object.keys(stamp.state_lists).length > 0 && (
            <>
              <dt>State lists</dt>
              <dd>
                {Object.entries(stamp.state_lists)
                  .map(([state, answer]) => `${state}: ${answer.listed ? "listed" : "not listed"} (list of ${when(answer.as_of)})`)
                  .join("; ")}
              </dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
}

/** The SMS conversation's texts out (campaign texts and replies) with their delivery, and what came in. */
function Texts(props: { contactId: string }): JSX.Element {
  const thread = useLoad(async () => {
    try {
      return await api.get("/conversations/{conversation_id}/messages", {
        path: { conversation_id: `${props.contactId}.sms` },
        query: { limit: 100 },
      });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null; // never texted
      throw error;
    }
  }, [props.contactId]);
  return (
    <section aria-labelledby="texts-title" class="card" id="contact-texts">
      <h2 id="texts-title">Texts: attempts and outcomes</h2>
      <Refusal error={thread.error} />
      {thread.data === null && <p class="quiet">No text was sent to or received from this contact.</p>}
      {thread.data && (
        <>
          <table>
            <caption class="visually-hidden">Texts, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {thread.data.items.map((item, i) => (
                <tr key={i}>
                  <td>{when(item.at)}</td>
                  <td>{item.kind === "campaign" ? `campaign text (${item.campaign_id ?? ""})` : item.kind.replace(/_/g, " ")}</td>
                  <td>{[item.status, item.delivery_status].filter(Boolean).join(", ") || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            <Link to={`/conversations/${props.contactId}/sms`}>Open the conversation</Link>
          </p>
        </>
      )}
    </section>
  );
}

function Calls(props: { contactId: string }): JSX.Element {
  const calls = useLoad(
    () => api.get("/contacts/{contact_id}/calls", { path: { contact_id: props.contactId }, query: { limit: 50 } }),
    [props.contactId],
  );
  const items = calls.data?.items ?? [];
  return (
    <section aria-labelledby="calls-title" class="card" id="contact-calls">
      <h2 id="calls-title">Calls</h2>
      <Refusal error={calls.error} />
      {calls.data && items.length === 0 && <p class="quiet">No call to this contact.</p>}
      {items.length > 0 && (
        <table>
          <caption class="visually-hidden">Calls, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Outcome</th>
              <th scope="col">Duration</th>
              <th scope="col">Summary</th>
            </tr>
          </thead>
          <tbody>
            {items.map((call) => (
              <tr key={call.call_id}>
                <td>{when(call.started_at)}</td>
                <td>{call.outcome ?? call.status ?? "—"}</td>
                <td>{call.duration_seconds === null ? "—" : `${call.duration_seconds} s`}</td>
                <td>{call.summary ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const CONFIRM_WORD = "erase";

type PersonPage = Schemas["PersonData"];
const PAGED = ["messages", "replies", "calls", "call_revocations", "outcomes"] as const;

/** Every page of the person's export, until next_cursor is null, as one document. */
async function wholeExport(contactId: string): Promise<Omit<PersonPage, "next_cursor">> {
  const path = { contact_id: contactId };
  const first = await api.get("/contacts/{contact_id}/data", { path });
  const whole = { ...first };
  let cursor = first.next_cursor;
  while (cursor) {
    const page = await api.get("/contacts/{contact_id}/data", { path, query: { cursor } });
    for (const name of PAGED) whole[name] = [...whole[name], ...page[name]];
    cursor = page.next_cursor;
  }
  const { next_cursor: _last, ...document } = whole;
  return document;
}

// The export comes a page at a time: the console gathers them all, then offers one file.
function Export(props: { contactId: string }): JSX.Element {
  const [file, setFile] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const link = useRef<HTMLAnchorElement>(null);
  useEffect(() => link.current?.click(), [file]);
  useEffect(() => () => void (file && URL.revokeObjectURL(file)), [file]);
  const gather = async () => {
    setBusy(true);
    setError(null);
    try {
      const document = await wholeExport(props.contactId);
      setFile(URL.createObjectURL(new Blob([JSON.stringify(document, null, 2)], { type: "application/json" })));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" id="contact-export" disabled={busy} onClick={() => void gather()}>
        {busy ? "Gathering everything held…" : "Export everything held (JSON)"}
      </button>
      {file && (
        <a ref={link} class="button" id="contact-export-file" href={file} download="contact-data.json">
          Save contact-data.json again
        </a>
      )}
      <Refusal error={error} id="contact-export-error" />
    </>
  );
}

function PersonData(props: { contact: Contact; name: string }): JSX.Element {
  const { me } = useSession();
  const { contact: c } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [erased, setErased] = useState<Schemas["Erased"] | null>(null);
  useEffect(() => {
    if (erased) navigate(`/contacts/${c.contact_id}/erased`);
  }, [erased]);
  const open = () => {
    setTyped("");
    setError(null);
    dialog.current?.showModal();
  };
  const erase = async (event: Event) => {
    event.preventDefault();
    if (typed.trim().toLowerCase() !== CONFIRM_WORD) return;
    setBusy(true);
    setError(null);
    try {
      setErased(await api.post("/contacts/{contact_id}/erase", { path: { contact_id: c.contact_id } }));
      dialog.current?.close();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="person-title" class="card">
      <h2 id="person-title">The person's data</h2>
      <div class="actions">
        {can.exportContacts(me.role) && <Export contactId={c.contact_id} />}
        {can.eraseContacts(me.role) && (
          <button type="button" class="danger" id="erase-open" onClick={open}>
            Erase this person…
          </button>
        )}
      </div>
      <dialog ref={dialog} aria-labelledby="erase-title" id="erase-dialog">
        <form onSubmit={(e) => void erase(e)}>
          <h2 id="erase-title">Erase {props.name}?</h2>
          <p>This cannot be undone. At once, Gatehouse deletes:</p>
          <ul id="erase-what">
            <li>the contact record: name, number, e-mail, tags and every consent evidence ({c.consent.length})</li>
            <li>every text to and from the number, and the conversations</li>
            <li>every call with its transcript and recording</li>
          </ul>
          <p>
            What stays: a keyed hash of the number on the suppression list, so no one contacts them again, and audit entries that name
            only the contact id.
          </p>
          <label for="erase-confirm">
            Type <strong>{CONFIRM_WORD}</strong> to confirm
          </label>
          <input id="erase-confirm" autocomplete="off" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} aria-describedby={error ? "erase-error" : undefined} />
          <Refusal error={error} id="erase-error" />
          <div class="actions">
            <button type="submit" class="danger" id="erase-confirmed" disabled={busy || typed.trim().toLowerCase() !== CONFIRM_WORD}>
              Erase for good
            </button>
            <button type="button" onClick={() => dialog.current?.close()}>
              Keep the contact
            </button>
          </div>
        </form>
      </dialog>
    </section>
  );
}

export function ContactErased(props: { id: string }): JSX.Element {
  return (
    <main id="main">
      <h1>Contact erased</h1>
      <p role="status" id="erased-status">
        The contact {props.id} was erased: their data is gone, and their number stays only as a keyed entry on the suppression list.
      </p>
      <p>
        <Link to="/suppressions">Suppression list</Link>
      </p>
    </main>
  );
}
