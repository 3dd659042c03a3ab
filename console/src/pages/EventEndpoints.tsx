// Event endpoints: the tenant's own receivers of signed events. Register one (its signing secret
// is shown once), list them by secret fingerprint, read an endpoint's deliveries, send a test ping,
// rotate the secret, enable or disable, remove.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { can } from "../roles";
import { useSession } from "../session";
import { Action, Refusal, useLoad, when } from "../ui";
import { ShownOnce } from "./ApiKeys";
import { SettingsNav } from "./SettingsNav";

type EventType = Schemas["EventType"];
const EVENT_TYPES: EventType[] = [
  "message.sent",
  "message.delivered",
  "message.failed",
  "contact.opted_out",
  "contact.held_for_review",
  "campaign.paused",
  "campaign.completed",
  "import.completed",
];

export function EventEndpoints(): JSX.Element {
  const { me } = useSession();
  const endpoints = useLoad(() => api.get("/event-endpoints", { query: { limit: 50 } }), []);
  const [shown, setShown] = useState<Schemas["EndpointCreated"] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const manage = can.manageSettings(me.role);
  const created = (endpoint: Schemas["EndpointCreated"]) => {
    setShown(endpoint);
    endpoints.reload();
  };
  return (
    <main id="main">
      <SettingsNav role={me.role} />
      <h1>Event endpoints</h1>
      <p class="hint">Gatehouse signs every event it sends (Standard Webhooks) and sends only to public https addresses.</p>
      {shown && <ShownOnce created={{ secret: shown.secret, name: shown.url }} dismiss={() => setShown(null)} />}
      {manage && <Register created={created} />}
      <Refusal error={endpoints.error} id="endpoints-error" />
      {endpoints.data && endpoints.data.items.length === 0 && <p class="quiet">No endpoint is registered.</p>}
      {(endpoints.data?.items ?? []).map((e) => (
        <section class="card endpoint" key={e.endpoint_id} aria-labelledby={`endpoint-${e.endpoint_id}`}>
          <h2 id={`endpoint-${e.endpoint_id}`}>
            {e.url} <span class="badge">{e.enabled ? "enabled" : "disabled"}</span>
          </h2>
          <dl>
            <dt>Events</dt>
            <dd>{e.event_types.join(", ")}</dd>
            {e.description && (
              <>
                <dt>Description</dt>
                <dd>{e.description}</dd>
              </>
            )}
            <dt>Secret</dt>
            <dd>
              …{e.fingerprint.last4}, set {when(e.fingerprint.set_at)}
            </dd>
            <dt>Last success</dt>
            <dd>{when(e.last_success_at)}</dd>
            {e.disabled_reason && (
              <>
                <dt>Disabled because</dt>
                <dd>{e.disabled_reason}</dd>
              </>
            )}
          </dl>
          {manage && (
            <div class="actions">
              <Action id={`ping-${e.endpoint_id}`} label="Send a test ping" run={() => api.post("/event-endpoints/{endpoint_id}/test", { path: { endpoint_id: e.endpoint_id } })} done={() => setOpen(e.endpoint_id)} />
              <Action
                id={`toggle-${e.endpoint_id}`}
                label={e.enabled ? "Disable" : "Enable"}
                run={() => api.patch("/event-endpoints/{endpoint_id}", { path: { endpoint_id: e.endpoint_id }, body: { enabled: !e.enabled } })}
                done={endpoints.reload}
              />
              <Action id={`secret-${e.endpoint_id}`} label="Rotate the secret" run={async () => created(await api.post("/event-endpoints/{endpoint_id}/secret", { path: { endpoint_id: e.endpoint_id } }))} />
              <Action id={`remove-${e.endpoint_id}`} label="Remove" kind="danger" run={() => api.delete("/event-endpoints/{endpoint_id}", { path: { endpoint_id: e.endpoint_id } })} done={endpoints.reload} />
            </div>
          )}
          <button type="button" id={`deliveries-${e.endpoint_id}`} aria-expanded={open === e.endpoint_id} onClick={() => setOpen(open === e.endpoint_id ? null : e.endpoint_id)}>
            {open === e.endpoint_id ? "Hide deliveries" : "Show deliveries"}
          </button>
          {open === e.endpoint_id && <Deliveries id={e.endpoint_id} />}
        </section>
      ))}
    </main>
  );
}

function Register(props: { created: (endpoint: Schemas["EndpointCreated"]) => void }): JSX.Element {
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [types, setTypes] = useState<Set<EventType>>(new Set());
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      props.created(await api.post("/event-endpoints", { body: { url, description, event_types: [...types] } }));
      setUrl("");
      setDescription("");
      setTypes(new Set());
    } catch (failure) {
      setError(failure);
    }
  };
  const flip = (type: EventType, on: boolean) => {
    const next = new Set(types);
    if (on) next.add(type);
    else next.delete(type);
    setTypes(next);
  };
  return (
    <section aria-labelledby="register-title" class="card">
      <h2 id="register-title">Register an endpoint</h2>
      <form onSubmit={(e) => void submit(e)}>
        <label for="endpoint-url">URL (https, a public host)</label>
        <input id="endpoint-url" type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} aria-describedby={error ? "endpoint-error" : undefined} />
        <label for="endpoint-description">Description (optional)</label>
        <input id="endpoint-description" maxLength={200} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        <fieldset>
          <legend>Events to send</legend>
          {EVENT_TYPES.map((type) => (
            <label class="inline" for={`type-${type.replace(".", "-")}`} key={type}>
              <input type="checkbox" id={`type-${type.replace(".", "-")}`} checked={types.has(type)} onChange={(e) => flip(type, e.currentTarget.checked)} />
              {type}
            </label>
          ))}
        </fieldset>
        <Refusal error={error} id="endpoint-error" />
        <button type="submit" class="primary" id="endpoint-register">
          Register
        </button>
      </form>
    </section>
  );
}

function Deliveries(props: { id: string }): JSX.Element {
  const attempts = useLoad(() => api.get("/event-endpoints/{endpoint_id}/deliveries", { path: { endpoint_id: props.id }, query: { limit: 50 } }), [props.id]);
  return (
    <div id={`deliveries-log-${props.id}`}>
      <Refusal error={attempts.error} />
      <button type="button" onClick={attempts.reload}>
        Refresh
      </button>
      <table>
        <caption>Deliveries, newest first (status codes only; never the body)</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Attempt</th>
            <th scope="col">Outcome</th>
            <th scope="col">Next try</th>
          </tr>
        </thead>
        <tbody>
          {attempts.data && attempts.data.items.length === 0 && (
            <tr>
              <td colSpan={5}>No delivery yet.</td>
            </tr>
          )}
          {(attempts.data?.items ?? []).map((a) => (
            <tr key={`${a.event_id}-${a.attempt}`}>
              <td>{when(a.at)}</td>
              <td>{a.event_type}</td>
              <td>{a.attempt}</td>
              <td>
                {a.outcome}
                {a.status_code !== null && ` (${a.status_code})`}
                {a.error && ` — ${a.error}`}
              </td>
              <td>{when(a.next_attempt_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
