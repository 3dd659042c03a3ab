// The campaign list and the form that drafts a new SMS campaign.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, ApiError, type Schemas } from "../api/client";
import { can } from "../roles";
import { navigate } from "../router";
import { useSession } from "../session";
import { Link, Refusal, useLoad, when } from "../ui";

export function Campaigns(): JSX.Element {
  const { me } = useSession();
  const list = useLoad(() => api.get("/campaigns", { query: { limit: 100 } }), []);
  return (
    <main id="main">
      <h1>Campaigns</h1>
      {can.writeCampaigns(me.role) && (
        <p>
          <Link to="/campaigns/new" class="button primary">
            New campaign
          </Link>
        </p>
      )}
      <Refusal error={list.error} />
      {list.data && list.data.items.length === 0 && <p class="quiet">No campaign yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <table id="campaigns">
          <caption class="visually-hidden">Campaigns</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Channel</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((c) => (
              <tr key={c.campaign_id}>
                <td>
                  <Link to={`/campaigns/${c.campaign_id}`}>{c.spec.name}</Link>
                </td>
                <td>{c.spec.channel}</td>
                <td>
                  <span class="badge">{c.status}</span>
                </td>
                <td>{when(c.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

type AudienceKind = "all" | "filter";

/** Every contact id of the tenant, a page at a time (the API caps an explicit audience at 10,000). */
async function everyContactId(): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Schemas["ContactPage"] = await api.get("/contacts", { query: { limit: 100, cursor } });
    ids.push(...page.items.map((c) => c.contact_id));
    cursor = page.next_cursor;
  } while (cursor && ids.length < 10_000);
  return ids;
}

export function NewCampaign(): JSX.Element {
  const [name, setName] = useState("");
  const [purpose, setPurpose] = useState<Schemas["Purpose"]>("marketing");
  const [template, setTemplate] = useState("Hi {first_name}, … Reply STOP to opt out.");
  const [sender, setSender] = useState("");
  const [audience, setAudience] = useState<AudienceKind>("all");
  const [tag, setTag] = useState("");
  const [state, setState] = useState("");
  const [start, setStart] = useState("00:00");
  const [end, setEnd] = useState("24:00");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const chosen: Schemas["Audience"] =
        audience === "all"
          ? { contact_ids: await everyContactId(), tag: null, state: null }
          : { contact_ids: [], tag: tag || null, state: state.toUpperCase() || null };
      const created = await api.post("/campaigns", {
        body: {
          name,
          channel: "sms",
          purpose,
          content: { kind: "sms", template },
          senders: { numbers: [sender] },
          audience: chosen,
          windows: [{ days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], start, end }],
          max_attempts_per_contact: 1,
          throughput_per_sender_per_minute: 60,
        },
      });
      navigate(`/campaigns/${created.campaign_id}`);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (field: string) => (error instanceof ApiError ? error.forField(field) : []);
  const described = (field: string) => (fieldError(field).length > 0 ? `${field}-error` : undefined);
  const FieldRefusal = (props: { field: string }) => {
    const reasons = fieldError(props.field);
    return reasons.length > 0 ? (
      <p class="refusal" id={`${props.field}-error`} role="alert">
        {reasons.join("; ")}
      </p>
    ) : null;
  };
  const fieldless = error instanceof ApiError && error.details.length === 0;

  return (
    <main id="main" class="narrow">
      <h1>New SMS campaign</h1>
      <form onSubmit={submit} noValidate>
        <label for="name">Name</label>
        <input id="name" required value={name} aria-describedby={described("name")} onInput={(e) => setName(e.currentTarget.value)} />
        <FieldRefusal field="name" />

        <label for="purpose">Purpose</label>
        <select id="purpose" value={purpose} onChange={(e) => setPurpose(e.currentTarget.value as Schemas["Purpose"])}>
          <option value="marketing">Marketing (needs prior express written consent)</option>
          <option value="informational">Informational</option>
        </select>

        <label for="template">Message</label>
        <textarea
          id="template"
          rows={4}
          value={template}
          aria-describedby={`template-hint ${described("template") ?? ""}`.trim()}
          onInput={(e) => setTemplate(e.currentTarget.value)}
        />
        <p class="hint" id="template-hint">
          Merge fields such as <code>{"{first_name}"}</code>; a marketing text must say how to opt out (e.g. "Reply STOP
          to opt out").
        </p>
        <FieldRefusal field="template" />

        <label for="sender">Sender number (E.164)</label>
        <input
          id="sender"
          inputMode="tel"
          placeholder="+14155550100"
          value={sender}
          aria-describedby={described("numbers")}
          onInput={(e) => setSender(e.currentTarget.value.trim())}
        />
        <FieldRefusal field="numbers" />

        <fieldset>
          <legend>Audience</legend>
          <label class="inline">
            <input type="radio" name="audience" checked={audience === "all"} onChange={() => setAudience("all")} /> Every
            contact
          </label>
          <label class="inline">
            <input type="radio" name="audience" checked={audience === "filter"} onChange={() => setAudience("filter")} />{" "}
            Contacts with a tag and/or in a state
          </label>
          {audience === "filter" && (
            <>
              <label for="tag">Tag</label>
              <input id="tag" value={tag} onInput={(e) => setTag(e.currentTarget.value)} />
              <label for="state">State (two letters)</label>
              <input id="state" maxLength={2} value={state} onInput={(e) => setState(e.currentTarget.value)} />
            </>
          )}
          <FieldRefusal field="audience" />
        </fieldset>

        <fieldset>
          <legend>Campaign window, every day (federal and state calling hours always apply too)</legend>
          <label for="window-start">From</label>
          <input id="window-start" value={start} onInput={(e) => setStart(e.currentTarget.value)} />
          <label for="window-end">Until</label>
          <input id="window-end" value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
          <FieldRefusal field="windows" />
        </fieldset>

        {(fieldless || !(error instanceof ApiError)) && <Refusal error={error} id="create-error" />}
        {error instanceof ApiError && !fieldless && (
          <p class="refusal" role="alert" id="create-error">
            {error.message}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Create the draft
        </button>
      </form>
    </main>
  );
}
