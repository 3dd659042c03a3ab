// The tenant's settings: retention windows, the SMS HELP reply, the security, campaign and access
// policies (owners change them), and your own notification preferences. Each form shows what the
// API refused next to itself and changes nothing until the API accepts it.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { can } from "../roles";
import { useSession } from "../session";
import { Refusal, useLoad, when } from "../ui";
import { SettingsNav } from "./SettingsNav";

export function Settings(): JSX.Element {
  const { me } = useSession();
  return (
    <main id="main">
      <SettingsNav role={me.role} />
      <h1>Settings</h1>
      <div class="grid">
        <SecurityPolicy owner={can.managePolicies(me.role)} />
        <CampaignPolicy owner={can.managePolicies(me.role)} />
        <AccessPolicy owner={can.managePolicies(me.role)} />
        {can.manageSettings(me.role) && <SmsHelp />}
      </div>
      {can.manageSettings(me.role) && <Retention />}
      <Notifications />
    </main>
  );
}

/** A settings card: its form, a refusal beside the save button, and a saved note. */
function Card(props: {
  id: string;
  title: string;
  children: ComponentChildren;
  save?: () => Promise<unknown>;
  changed?: string | null;
}): JSX.Element {
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!props.save) return;
    setError(null);
    setSaved(false);
    try {
      await props.save();
      setSaved(true);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section aria-labelledby={`${props.id}-title`} class="card" id={props.id}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      <form onSubmit={(e) => void submit(e)}>
        {props.children}
        {props.changed && <p class="quiet">{props.changed}</p>}
        <Refusal error={error} id={`${props.id}-error`} />
        {saved && (
          <p role="status" class="ok" id={`${props.id}-saved`}>
            Saved.
          </p>
        )}
        {props.save && (
          <button type="submit" class="primary" id={`${props.id}-save`}>
            Save
          </button>
        )}
      </form>
    </section>
  );
}

function changedLine(at: string | null | undefined, by: string | null | undefined): string | null {
  return at ? `Last changed ${when(at)}${by ? ` by ${by}` : ""}.` : null;
}

function Toggle(props: { id: string; label: string; checked: boolean; disabled: boolean; set: (on: boolean) => void }): JSX.Element {
  return (
    <label class="inline" for={props.id}>
      <input type="checkbox" id={props.id} checked={props.checked} disabled={props.disabled} onChange={(e) => props.set(e.currentTarget.checked)} />
      {props.label}
    </label>
  );
}

function SecurityPolicy(props: { owner: boolean }): JSX.Element {
  const policy = useLoad(() => api.get("/security-policy"), []);
  const [on, setOn] = useState(false);
  useEffect(() => setOn(policy.data?.require_two_factor ?? false), [policy.data]);
  const save = async () => {
    await api.put("/security-policy", { body: { require_two_factor: on } });
    policy.reload();
  };
  return (
    <Card id="security-policy" title="Security policy" save={props.owner ? save : undefined} changed={changedLine(policy.data?.changed_at, policy.data?.changed_by)}>
      <Refusal error={policy.error} />
      <Toggle id="require-two-factor" label="Require two-factor for owners, admins and whoever approves campaigns or changes billing" checked={on} disabled={!props.owner} set={setOn} />
    </Card>
  );
}

function CampaignPolicy(props: { owner: boolean }): JSX.Element {
  const policy = useLoad(() => api.get("/campaign-policy"), []);
  const [on, setOn] = useState(false);
  useEffect(() => setOn(policy.data?.four_eyes ?? false), [policy.data]);
  const save = async () => {
    await api.put("/campaign-policy", { body: { four_eyes: on } });
    policy.reload();
  };
  return (
    <Card id="campaign-policy" title="Campaign policy" save={props.owner ? save : undefined} changed={changedLine(policy.data?.changed_at, policy.data?.changed_by)}>
      <Refusal error={policy.error} />
      <Toggle id="four-eyes" label="Four-eyes: whoever submits a campaign never approves it" checked={on} disabled={!props.owner} set={setOn} />
    </Card>
  );
}

function AccessPolicy(props: { owner: boolean }): JSX.Element {
  const policy = useLoad(() => api.get("/access-policy"), []);
  const [access, setAccess] = useState<Schemas["ConversationAccess"]>("all");
  useEffect(() => setAccess(policy.data?.conversation_access ?? "all"), [policy.data]);
  const save = async () => {
    await api.put("/access-policy", { body: { conversation_access: access } });
    policy.reload();
  };
  return (
    <Card id="access-policy" title="Access policy" save={props.owner ? save : undefined} changed={changedLine(policy.data?.changed_at, policy.data?.changed_by)}>
      <Refusal error={policy.error} />
      <fieldset>
        <legend>Members and viewers see</legend>
        <label class="inline" for="access-all">
          <input type="radio" name="access" id="access-all" value="all" checked={access === "all"} disabled={!props.owner} onChange={() => setAccess("all")} />
          every contact and conversation
        </label>
        <label class="inline" for="access-assigned">
          <input
            type="radio"
            name="access"
            id="access-assigned"
            value="assigned_campaigns"
            checked={access === "assigned_campaigns"}
            disabled={!props.owner}
            onChange={() => setAccess("assigned_campaigns")}
          />
          only those of the campaigns they are assigned to
        </label>
      </fieldset>
    </Card>
  );
}

function SmsHelp(): JSX.Element {
  const help = useLoad(() => api.get("/settings/sms-help"), []);
  const [text, setText] = useState("");
  useEffect(() => setText(help.data?.help_text ?? ""), [help.data]);
  const save = async () => {
    await api.put("/settings/sms-help", { body: { help_text: text } });
    help.reload();
  };
  return (
    <Card id="sms-help" title="SMS HELP reply" save={save} changed={changedLine(help.data?.updated_at, help.data?.updated_by)}>
      <Refusal error={help.error} />
      <label for="help-text">The reply a HELP text gets (up to 320 characters; it answers a request for help, no marketing)</label>
      <textarea id="help-text" rows={3} maxLength={320} value={text} onInput={(e) => setText(e.currentTarget.value)} aria-describedby="sms-help-error" />
    </Card>
  );
}

type Windows = Schemas["RetentionWindows"];
const RETENTION: Array<[keyof Windows, string, number, number]> = [
  ["message_bodies_days", "An inbound text's words are blanked after (days)", 1, 3650],
  ["inbound_messages_days", "An inbound text's record is deleted after (days)", 1, 3650],
  ["transcripts_days", "A call's transcript and summary go after (days)", 1, 3650],
  ["call_recordings_days", "A call's recording goes after (days)", 1, 3650],
  ["deleted_contacts_days", "A deleted contact is purged after (days)", 0, 365],
  ["dnc_rescrub_days", "Contacts are scrubbed against DNC again after (days)", 1, 31],
];

function Retention(): JSX.Element {
  const policy = useLoad(() => api.get("/settings/retention"), []);
  const [values, setValues] = useState<Record<string, string>>({});
  useEffect(() => {
    const data = policy.data;
    if (data) setValues(Object.fromEntries(RETENTION.map(([key]) => [key, String(data[key] ?? "")])));
  }, [policy.data]);
  const save = async () => {
    const number = (key: keyof Windows) => Number(values[key] ?? "");
    const body: Windows = {
      message_bodies_days: number("message_bodies_days"),
      inbound_messages_days: number("inbound_messages_days"),
      transcripts_days: number("transcripts_days"),
      call_recordings_days: number("call_recordings_days"),
      deleted_contacts_days: number("deleted_contacts_days"),
      dnc_rescrub_days: number("dnc_rescrub_days"),
    };
    await api.put("/settings/retention", { body });
    policy.reload();
  };
  return (
    <Card id="retention" title="Retention" save={save} changed={changedLine(policy.data?.updated_at, policy.data?.updated_by)}>
      <Refusal error={policy.error} />
      <div class="grid">
        {RETENTION.map(([key, label, min, max]) => (
          <div key={key}>
            <label for={`retention-${key}`}>{label}</label>
            <input
              id={`retention-${key}`}
              type="number"
              min={min}
              max={max}
              required
              value={values[key] ?? ""}
              onInput={(e) => setValues({ ...values, [key]: e.currentTarget.value })}
              aria-describedby="retention-error"
            />
          </div>
        ))}
      </div>
    </Card>
  );
}

function Notifications(): JSX.Element {
  const prefs = useLoad(() => api.get("/me/notifications"), []);
  const [off, setOff] = useState<Set<string>>(new Set());
  useEffect(() => setOff(new Set((prefs.data?.items ?? []).filter((k) => !k.enabled).map((k) => k.kind))), [prefs.data]);
  const save = async () => {
    await api.put("/me/notifications", { body: { off: [...off] as Schemas["NotificationKind"][] } });
    prefs.reload();
  };
  const flip = (kind: string, on: boolean) => {
    const next = new Set(off);
    if (on) next.delete(kind);
    else next.add(kind);
    setOff(next);
  };
  return (
    <Card id="notifications" title="Your notifications in this tenant" save={save}>
      <Refusal error={prefs.error} />
      <p class="hint">Compliance notifications always stay on.</p>
      <div class="grid">
        {(prefs.data?.items ?? []).map((k) => (
          <Toggle
            key={k.kind}
            id={`notify-${k.kind}`}
            label={k.kind.replace(/_/g, " ") + (k.always_on ? " (always on)" : "")}
            checked={!off.has(k.kind)}
            disabled={k.always_on}
            set={(on) => flip(k.kind, on)}
          />
        ))}
      </div>
    </Card>
  );
}
