// Provider integrations (owners and admins): write-only credential forms, then only fingerprints;
// a connection test; revoke. A secret typed here lives in the form's memory until it is sent,
// and the form is emptied once the API has it.
import { Fragment, type JSX, type TargetedEvent } from "preact";
import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { Confirmed, FieldRefusal, FormRefusal, describedBy } from "../forms";
import { can } from "../roles";
import { useSession } from "../session";
import { Refusal, useLoad, when } from "../ui";

type Provider = Schemas["Provider"];
type View = Schemas["IntegrationView"];

interface Field {
  name: string;
  label: string;
  secret?: boolean;
  hint?: string;
  /** A list the API wants as an array, typed here separated by commas or spaces. */
  list?: boolean;
  choices?: string[];
}

interface ProviderForm {
  provider: Provider;
  title: string;
  what: string;
  fields: Field[];
}

const FORMS: ProviderForm[] = [
  {
    provider: "twilio",
    title: "Twilio (SMS and calls)",
    what: "Sends the campaigns' texts and places their calls; signs the replies Twilio forwards.",
    fields: [
      { name: "account_sid", label: "Account SID", hint: '"AC" and 32 hexadecimal characters' },
      { name: "auth_token", label: "Auth token", secret: true, hint: "32 hexadecimal characters" },
      {
        name: "sender_numbers",
        label: "Sender numbers",
        list: true,
        hint: "E.164, separated by commas, e.g. +14155550100",
      },
      { name: "messaging_service_sid", label: "Messaging service SID (optional)", hint: '"MG" and 32 hexadecimal characters' },
    ],
  },
  {
    provider: "voice_agent",
    title: "Voice agent",
    what: "The AI voice agent that holds the campaigns' calls.",
    fields: [
      { name: "vendor", label: "Vendor", choices: ["retell", "vapi"] },
      { name: "agent_id", label: "Agent id" },
      { name: "api_key", label: "API key", secret: true },
      { name: "webhook_secret", label: "Webhook secret (Vapi: its HMAC credential's secret)", secret: true },
      { name: "phone_number_id", label: "Phone number id (Vapi only)" },
    ],
  },
  {
    provider: "dnc",
    title: "Do-Not-Call provider",
    what: "Scrubs every number against the national and state Do-Not-Call lists before it is attempted.",
    fields: [
      { name: "provider_name", label: "Provider name", hint: "lower case, e.g. sandbox-dnc" },
      { name: "api_key", label: "API key", secret: true },
      { name: "account_id", label: "Account id (where the provider needs one)" },
    ],
  },
];

export function Integrations(): JSX.Element {
  const { me } = useSession();
  const list = useLoad(() => api.get("/integrations"), []);
  if (!can.manageIntegrations(me.role)) {
    return (
      <main id="main">
        <h1>Integrations</h1>
        <p>Only owners and admins connect providers.</p>
      </main>
    );
  }
  const byProvider = new Map((list.data?.items ?? []).map((view) => [view.provider, view]));
  return (
    <main id="main">
      <h1>Integrations</h1>
      <p class="hint">
        Credentials are write-only: once sent they are encrypted and never shown again, only their last four characters
        and when they were set.
      </p>
      <Refusal error={list.error} />
      {list.data &&
        FORMS.map((form) => (
          <Integration key={form.provider} form={form} view={byProvider.get(form.provider)} changed={list.reload} />
        ))}
    </main>
  );
}

function Integration(props: { form: ProviderForm; view: View | undefined; changed: () => void }): JSX.Element {
  const { form, view } = props;
  const connected = view?.status === "connected";
  const [replacing, setReplacing] = useState(false);
  const id = form.provider;
  return (
    <section class="card" aria-labelledby={`${id}-title`} id={`integration-${id}`}>
      <h2 id={`${id}-title`}>
        {form.title}{" "}
        <span class="badge" id={`${id}-status`}>
          {connected ? "connected" : view ? "revoked" : "not connected"}
        </span>
      </h2>
      <p class="quiet">{form.what}</p>
      {connected && view && <Fingerprint view={view} />}
      {connected && (
        <div class="actions">
          <ConnectionTest provider={form.provider} />
          <Confirmed
            id={`${id}-revoke`}
            label="Revoke"
            question={`Revoke ${form.title}? Its stored credentials are deleted at once; nothing is sent through it until it is connected again.`}
            confirm="Yes, revoke and delete the credentials"
            run={() => api.delete("/integrations/{provider}", { path: { provider: form.provider } })}
            done={props.changed}
          />
          {!replacing && (
            <button type="button" id={`${id}-replace`} onClick={() => setReplacing(true)}>
              Replace credentials
            </button>
          )}
        </div>
      )}
      {(!connected || replacing) && (
        <CredentialForm
          form={form}
          replace={connected}
          saved={() => {
            setReplacing(false);
            props.changed();
          }}
        />
      )}
    </section>
  );
}

function Fingerprint(props: { view: View }): JSX.Element {
  const { view } = props;
  const settings = Object.entries(view.settings).filter(([, value]) => value !== null && value !== "");
  return (
    <dl id={`${view.provider}-fingerprint`}>
      {Object.entries(view.fingerprint?.last4 ?? {}).map(([name, last4]) => (
        <Fragment key={name}>
          <dt>{name}</dt>
          <dd>
            …{last4} <span class="quiet">(set {when(view.fingerprint?.set_at)})</span>
          </dd>
        </Fragment>
      ))}
      {settings.map(([name, value]) => (
        <Fragment key={name}>
          <dt>{name}</dt>
          <dd>{Array.isArray(value) ? value.join(", ") : String(value)}</dd>
        </Fragment>
      ))}
      <dt>connected</dt>
      <dd>
        {when(view.connected_at)} by {view.connected_by}
      </dd>
    </dl>
  );
}

function ConnectionTest(props: { provider: Provider }): JSX.Element {
  const [result, setResult] = useState<Schemas["CheckResult"] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await api.post("/integrations/{provider}/test", { path: { provider: props.provider } }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const id = `${props.provider}-test`;
  return (
    <span class="action">
      <button type="button" id={id} disabled={busy} onClick={() => void run()}>
        Test the connection
      </button>
      <span role="status" id={`${id}-result`} class={result?.status === "verified" ? "ok" : "refusal"}>
        {busy && "Asking the provider…"}
        {result && `${result.status}: ${result.detail}`}
      </span>
      <Refusal error={error} id={`${id}-error`} />
    </span>
  );
}

function bodyOf(form: ProviderForm, values: Record<string, string>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of form.fields) {
    const value = (values[field.name] ?? "").trim();
    if (value === "") continue;
    body[field.name] = field.list ? value.split(/[\s,]+/).filter(Boolean) : value;
  }
  return body;
}

function CredentialForm(props: { form: ProviderForm; replace: boolean; saved: () => void }): JSX.Element {
  const { form } = props;
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const prefix = `${form.provider}-`;
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body = bodyOf(form, values);
    const path = { provider: form.provider };
    try {
      if (props.replace) await api.patch("/integrations/{provider}", { path, body });
      else await api.post("/integrations/{provider}", { path, body });
      setValues({});
      props.saved();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const set = (name: string, value: string) => setValues((current) => ({ ...current, [name]: value }));
  return (
    <form onSubmit={submit} noValidate id={`${prefix}form`} autocomplete="off">
      {form.fields.map((field) => {
        const inputId = `${prefix}${field.name}`;
        const hintId = field.hint ? `${inputId}-hint` : undefined;
        const describe = [hintId, describedBy(error, field.name, prefix)].filter(Boolean).join(" ") || undefined;
        return (
          <div key={field.name}>
            <label for={inputId}>{field.label}</label>
            {field.choices ? (
              <select
                id={inputId}
                value={values[field.name] ?? field.choices[0]}
                onChange={(e) => set(field.name, e.currentTarget.value)}
              >
                {field.choices.map((choice) => (
                  <option key={choice} value={choice}>
                    {choice}
                  </option>
                ))}
              </select>
            ) : (
              <TextInput
                id={inputId}
                secret={field.secret === true}
                value={values[field.name] ?? ""}
                describedBy={describe}
                invalid={describedBy(error, field.name) !== undefined}
                onValue={(value) => set(field.name, value)}
              />
            )}
            {field.hint && (
              <p class="hint" id={hintId}>
                {field.hint}
              </p>
            )}
            <FieldRefusal error={error} field={field.name} prefix={prefix} />
          </div>
        );
      })}
      <FormRefusal error={error} fields={form.fields.map((f) => f.name)} id={`${prefix}error`} />
      <button type="submit" class="primary" disabled={busy} id={`${prefix}connect`}>
        {props.replace ? "Replace the credentials" : "Connect"}
      </button>
    </form>
  );
}

/** A credential's input: a secret one is a password field, never remembered by the browser. */
function TextInput(props: {
  id: string;
  secret: boolean;
  value: string;
  describedBy: string | undefined;
  invalid: boolean;
  onValue: (value: string) => void;
}): JSX.Element {
  const shared = {
    id: props.id,
    spellcheck: false,
    value: props.value,
    "aria-describedby": props.describedBy,
    "aria-invalid": props.invalid ? true : undefined,
    onInput: (e: TargetedEvent<HTMLInputElement>) => props.onValue(e.currentTarget.value),
  };
  return props.secret ? (
    <input type="password" autocomplete="new-password" {...shared} />
  ) : (
    <input type="text" autocomplete="off" {...shared} />
  );
}
