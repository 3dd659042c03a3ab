// The inbox: conversations with their unread counts and filters, one thread at a time, the reply
// box (one Idempotency-Key per composed message, so a retried send is never a second text), and
// a gate's refusal said in words next to the box.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type Schemas } from "../api/client";
import { can } from "../roles";
import { useSession } from "../session";
import { Link, Pager, Refusal, useLoad, usePages, when } from "../ui";
import { reasonInWords } from "./words";

type Filter = "all" | "needs_reply" | "held" | "opted_out" | "assigned_me" | "assigned_none";
const FILTERS: Array<[Filter, string]> = [
  ["all", "All"],
  ["needs_reply", "Needs a reply"],
  ["held", "Held for review"],
  ["opted_out", "Opted out"],
  ["assigned_me", "Assigned to me"],
  ["assigned_none", "Unassigned"],
];

function queryOf(filter: Filter) {
  switch (filter) {
    case "needs_reply":
      return { needs_reply: true };
    case "held":
      return { held: true };
    case "opted_out":
      return { opted_out: true };
    case "assigned_me":
      return { assigned: "me" };
    case "assigned_none":
      return { assigned: "none" };
    default:
      return {};
  }
}

export function Inbox(): JSX.Element {
  const [filter, setFilter] = useState<Filter>("all");
  const pages = usePages();
  const cursor = pages.cursor;
  const list = useLoad(() => api.get("/conversations", { query: { ...queryOf(filter), limit: 25, cursor } }), [filter, cursor]);
  const counts = useLoad(() => api.get("/conversations/counts"), []);
  const items = list.data?.items ?? [];
  return (
    <main id="main">
      <h1>Conversations</h1>
      <Refusal error={counts.error} />
      {counts.data && (
        <p id="inbox-unread">
          <strong>{counts.data.unread}</strong> unread texts in the tenant.
        </p>
      )}
      <label for="inbox-filter">Show</label>
      <select
        id="inbox-filter"
        value={filter}
        onChange={(e) => {
          setFilter(e.currentTarget.value as Filter);
          pages.restart();
        }}
      >
        {FILTERS.map(([value, label]) => (
          <option value={value} key={value}>
            {label}
          </option>
        ))}
      </select>
      <Refusal error={list.error} id="inbox-error" />
      <table id="conversations">
        <caption class="visually-hidden">Conversations, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Contact</th>
            <th scope="col">Last text</th>
            <th scope="col">Unread</th>
            <th scope="col">State</th>
            <th scope="col">Assigned to</th>
          </tr>
        </thead>
        <tbody>
          {list.data && items.length === 0 && (
            <tr>
              <td colSpan={5}>No conversation here.</td>
            </tr>
          )}
          {items.map((c) => (
            <tr key={c.conversation_id} class={c.unread > 0 ? "unread" : ""}>
              <td>
                <Link to={conversationPath(c.conversation_id)}>{c.contact_id}</Link> <span class="badge">{c.channel}</span>
              </td>
              <td>{when(c.last_at)}</td>
              <td>{c.unread}</td>
              <td>{flags(c)}</td>
              <td>{c.assigned_to ?? "nobody"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager pages={pages} next={list.data?.next_cursor} back="Newer" forward="Older" />
    </main>
  );
}

/** The console's address of a conversation: `/conversations/<contact id>/<channel>`. */
export function conversationPath(conversationId: string): string {
  return `/conversations/${conversationId.replace(".", "/")}`;
}

function flags(c: Schemas["ConversationView"]): string {
  const said = [c.needs_reply && "needs a reply", c.held && "held for review", c.opted_out && "opted out"].filter(Boolean);
  return said.length ? said.join(", ") : "—";
}

export function Conversation(props: { id: string }): JSX.Element {
  const { me } = useSession();
  const path = { conversation_id: props.id };
  const summary = useLoad(() => api.get("/conversations/{conversation_id}", { path }), [props.id]);
  const thread = useLoad(() => api.get("/conversations/{conversation_id}/messages", { path, query: { limit: 50 } }), [props.id]);
  const [readError, setReadError] = useState<unknown>(null);
  // Opening the thread reads it: the unread count goes to 0, and the tenant's counts with it.
  useEffect(() => {
    api.post("/conversations/{conversation_id}/read", { path }).then(summary.reload, setReadError);
  }, [props.id]);
  const c = summary.data;
  const refresh = () => {
    summary.reload();
    thread.reload();
  };
  return (
    <main id="main">
      <p>
        <Link to="/conversations">All conversations</Link>
      </p>
      <h1>Conversation</h1>
      <Refusal error={summary.error} id="conversation-error" />
      <Refusal error={readError} />
      {c && (
        <section aria-labelledby="about-title" class="card">
          <h2 id="about-title">About</h2>
          <dl>
            <dt>Contact</dt>
            <dd>
              <Link to={`/contacts/${c.contact_id}`}>{c.contact_id}</Link>
            </dd>
            <dt>State</dt>
            <dd id="conversation-state">{flags(c)}</dd>
            <dt>Assigned to</dt>
            <dd id="conversation-assignee">{c.assigned_to === me.user_id ? "you" : (c.assigned_to ?? "nobody")}</dd>
          </dl>
          <Assign conversation={c} changed={summary.reload} />
        </section>
      )}
      {c && c.channel === "sms" && can.readConversations(me.role) && <ReplyBox id={props.id} sent={refresh} />}
      <section aria-labelledby="thread-title" class="card">
        <h2 id="thread-title">Thread (newest first)</h2>
        <Refusal error={thread.error} />
        <ol id="thread" class="thread">
          {(thread.data?.items ?? []).map((item, i) => (
            <li key={i} class={`thread-${item.kind}`}>
              <span class="quiet">{when(item.at)}</span> <strong>{kindInWords(item)}</strong>
              {item.body && <p class="body">{item.body}</p>}
              {(item.status || item.delivery_status) && (
                <p class="quiet">{[item.status, item.delivery_status].filter(Boolean).join(", ")}</p>
              )}
            </li>
          ))}
        </ol>
      </section>
    </main>
  );
}

function kindInWords(item: Schemas["ThreadItem"]): string {
  switch (item.kind) {
    case "inbound":
      return "They wrote";
    case "campaign":
      return "Campaign text";
    case "reply":
      return `Reply by ${item.sent_by ?? "a member"}`;
    case "opted_out":
      return "Opted out";
    case "held":
      return "Held for review";
    default:
      return item.kind;
  }
}

function Assign(props: { conversation: Schemas["ConversationView"]; changed: () => void }): JSX.Element | null {
  const { me } = useSession();
  const admin = can.assignConversations(me.role);
  const members = useLoad(() => (admin ? api.get("/members", { query: { limit: 100 } }) : Promise.resolve(null)), [admin]);
  const [choice, setChoice] = useState("");
  const [error, setError] = useState<unknown>(null);
  if (!can.readConversations(me.role)) return null;
  const assign = async (userId: string | null) => {
    setError(null);
    try {
      await api.put("/conversations/{conversation_id}/assignee", {
        path: { conversation_id: props.conversation.conversation_id },
        body: { user_id: userId },
      });
      props.changed();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <div class="actions">
      {props.conversation.assigned_to !== me.user_id && (
        <button type="button" id="take-conversation" onClick={() => void assign(me.user_id)}>
          Take it
        </button>
      )}
      {admin && members.data && (
        <span class="reject">
          <label for="assign-to">Assign to</label>
          <select id="assign-to" value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
            <option value="">nobody</option>
            {members.data.items.map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.email} ({m.role})
              </option>
            ))}
          </select>
          <button type="button" id="assign" onClick={() => void assign(choice || null)}>
            Assign
          </button>
        </span>
      )}
      <Refusal error={error ?? members.error} id="assign-error" />
    </div>
  );
}

function newKey(): string {
  return `reply-${crypto.randomUUID()}`;
}

/** The gate's refusal in words: which gate, why, and when the reply may go. */
function GateRefusal(props: { error: unknown }): JSX.Element | null {
  const { error } = props;
  if (!(error instanceof ApiError) || error.code !== "reply_refused") return <Refusal error={error} id="reply-error" />;
  const detail = error.details[0] ?? {};
  return (
    <div class="refusal" role="alert" id="reply-error">
      <p>
        Not sent: the <strong id="reply-gate">{detail.gate ?? "?"}</strong> gate refused it, because{" "}
        <span id="reply-reason">{reasonInWords(detail.reason)}</span>.
      </p>
      {detail.until && <p id="reply-until">It may go from {when(detail.until)}.</p>}
      {detail.rule && <p class="quiet">Rule: {detail.rule}</p>}
    </div>
  );
}

function ReplyBox(props: { id: string; sent: () => void }): JSX.Element {
  const [text, setText] = useState("");
  const [key, setKey] = useState(newKey);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<Schemas["ReplyView"] | null>(null);
  const send = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      // The same key until this message is sent: a retry after a lost answer sends nothing twice.
      const reply = await api.post("/conversations/{conversation_id}/messages", {
        path: { conversation_id: props.id },
        body: { body: text },
        headers: { "Idempotency-Key": key },
      });
      setResult(reply);
      setText("");
      setKey(newKey());
      props.sent();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="reply-title" class="card">
      <h2 id="reply-title">Answer</h2>
      <form onSubmit={(e) => void send(e)}>
        <label for="reply-body">Your text (it passes every gate the campaign's texts pass)</label>
        <textarea
          id="reply-body"
          rows={3}
          maxLength={1600}
          required
          value={text}
          aria-describedby={error ? "reply-error" : undefined}
          onInput={(e) => {
            setText(e.currentTarget.value);
            // A changed text is a new message: it gets its own key.
            if (error) setKey(newKey());
          }}
        />
        <GateRefusal error={error} />
        {result && (
          <p role="status" id="reply-status" class={result.status === "sent" ? "ok" : "refusal"}>
            {result.status === "sent" ? "Sent." : `The provider refused it (${result.error ?? "no code"}).`}
          </p>
        )}
        <button type="submit" class="primary" id="reply-send" disabled={busy || text.trim() === ""}>
          Send
        </button>
      </form>
    </section>
  );
}
