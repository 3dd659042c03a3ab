// The campaign form: a new draft and the edit of a draft share it. It covers the whole spec the
// API takes (channel, purpose, technology, audience, content, senders, windows, limits, schedule);
// the API decides, and each refusal shows at the field its 422 names.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { describedBy, FieldRefusal, FormRefusal } from "../forms";

type Spec = Schemas["CampaignSpec"];
type Day = Schemas["Window"]["days"][number];
const DAYS: Day[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const TECHNOLOGIES: Record<Schemas["Channel"], Schemas["Technology"][]> = {
  sms: ["autodialed"],
  voice: ["artificial_voice", "prerecorded", "live"],
};
const FIELDS = [
  "name", "purpose", "technology", "template", "agent_id", "records_calls", "opening", "opt_out", "numbers",
  "audience", "windows", "max_attempts_per_contact", "throughput_per_sender_per_minute", "start_at", "end_at",
];
type AudienceKind = "all" | "filter" | "same";

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

/** An ISO instant as a datetime-local value in the browser's zone ("" for none). */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const at = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/** A datetime-local value (the browser's zone) as a UTC ISO instant, or null when empty. */
export function toUtc(local: string): string | null {
  if (!local) return null;
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? local : at.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const SMS_TEMPLATE = "Hi {first_name}, … Reply STOP to opt out.";

export function CampaignForm(props: {
  initial?: Spec;
  submitLabel: string;
  save: (spec: Spec) => Promise<unknown>;
}): JSX.Element {
  const init = props.initial;
  const voiceInit = init?.content.kind === "voice" ? init.content : null;
  const [name, setName] = useState(init?.name ?? "");
  const [channel, setChannel] = useState<Schemas["Channel"]>(init?.channel ?? "sms");
  const [purpose, setPurpose] = useState<Schemas["Purpose"]>(init?.purpose ?? "marketing");
  const [technology, setTechnology] = useState<Schemas["Technology"] | "">(init?.technology ?? "");
  const [template, setTemplate] = useState(init?.content.kind === "sms" ? init.content.template : SMS_TEMPLATE);
  const [agentId, setAgentId] = useState(voiceInit?.agent_id ?? "");
  const [records, setRecords] = useState(voiceInit?.records_calls ?? false);
  const [opening, setOpening] = useState(voiceInit?.opening ?? "");
  const [optOutKey, setOptOutKey] = useState(voiceInit?.opt_out?.key ?? "");
  const [optOutPhrase, setOptOutPhrase] = useState(voiceInit?.opt_out?.phrase ?? "");
  const [senders, setSenders] = useState((init?.senders.numbers ?? []).join(", "));
  const [audience, setAudience] = useState<AudienceKind>(init ? (init.audience.contact_ids.length ? "same" : "filter") : "all");
  const [tag, setTag] = useState(init?.audience.tag ?? "");
  const [state, setState] = useState(init?.audience.state ?? "");
  const [windows, setWindows] = useState<Schemas["Window"][]>(init?.windows ?? [{ days: [...DAYS], start: "00:00", end: "24:00" }]);
  const [attempts, setAttempts] = useState(String(init?.max_attempts_per_contact ?? 1));
  const [throughput, setThroughput] = useState(String(init?.throughput_per_sender_per_minute ?? 60));
  const [startAt, setStartAt] = useState(toLocalInput(init?.start_at));
  const [endAt, setEndAt] = useState(toLocalInput(init?.end_at));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const setWindow = (i: number, change: Partial<Schemas["Window"]>) =>
    setWindows(windows.map((w, j) => (j === i ? { ...w, ...change } : w)));
  const toggleDay = (i: number, day: Day) => {
    const days = windows[i]?.days ?? [];
    setWindow(i, { days: days.includes(day) ? days.filter((d) => d !== day) : DAYS.filter((d) => d === day || days.includes(d)) });
  };

  const content = (): Spec["content"] => {
    if (channel === "sms") return { kind: "sms", template };
    const base = voiceInit ?? { max_duration_seconds: 600, placed_by: "voice_agent" as const, retry: { attempts: 1, spacing_minutes: 60 }, announces_recording: false };
    return {
      ...base,
      kind: "voice",
      agent_id: agentId,
      records_calls: records,
      announces_recording: records && base.announces_recording,
      opening: opening || null,
      opt_out: optOutKey || optOutPhrase ? { key: optOutKey, phrase: optOutPhrase } : null,
    };
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const chosen: Schemas["Audience"] =
        audience === "same" && init
          ? init.audience
          : audience === "all"
            ? { contact_ids: await everyContactId(), tag: null, state: null }
            : { contact_ids: [], tag: tag || null, state: state.toUpperCase() || null };
      await props.save({
        name,
        channel,
        purpose,
        technology: technology || null,
        content: content(),
        senders: { ...(init?.senders ?? {}), numbers: senders.split(/[\s,]+/).filter(Boolean) },
        audience: chosen,
        windows,
        max_attempts_per_contact: Number(attempts),
        throughput_per_sender_per_minute: Number(throughput),
        start_at: toUtc(startAt),
        end_at: toUtc(endAt),
      });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const text = (id: string, field: string, label: string, value: string, set: (v: string) => void, extra: Record<string, unknown> = {}) => (
    <>
      <label for={id}>{label}</label>
      <input id={id} value={value} aria-describedby={describedBy(error, field)} onInput={(e) => set(e.currentTarget.value)} {...extra} />
      <FieldRefusal error={error} field={field} />
    </>
  );

  return (
    <form onSubmit={submit} noValidate>
      {text("name", "name", "Name", name, setName, { required: true })}

      <label for="channel">Channel</label>
      <select id="channel" value={channel} onChange={(e) => { setChannel(e.currentTarget.value as Schemas["Channel"]); setTechnology(""); }}>
        <option value="sms">SMS text</option>
        <option value="voice">Voice call by the voice agent</option>
      </select>

      <label for="purpose">Purpose</label>
      <select id="purpose" value={purpose} aria-describedby={describedBy(error, "purpose")} onChange={(e) => setPurpose(e.currentTarget.value as Schemas["Purpose"])}>
        <option value="marketing">Marketing (needs prior express written consent)</option>
        <option value="informational">Informational</option>
      </select>
      <FieldRefusal error={error} field="purpose" />

      <label for="technology">Technology</label>
      <select id="technology" value={technology} aria-describedby={describedBy(error, "technology")} onChange={(e) => setTechnology(e.currentTarget.value as Schemas["Technology"] | "")}>
        <option value="">The channel's own ({channel === "sms" ? "autodialed" : "artificial voice"})</option>
        {TECHNOLOGIES[channel].map((t) => (
          <option key={t} value={t}>{t.replace("_", " ")}</option>
        ))}
      </select>
      <FieldRefusal error={error} field="technology" />

      {channel === "sms" ? (
        <>
          <label for="template">Message</label>
          <textarea id="template" rows={4} value={template} aria-describedby={`template-hint ${describedBy(error, "template") ?? ""}`.trim()} onInput={(e) => setTemplate(e.currentTarget.value)} />
          <p class="hint" id="template-hint">
            Merge fields such as <code>{"{first_name}"}</code>; a marketing text must say how to opt out (e.g. "Reply STOP to opt out").
          </p>
          <FieldRefusal error={error} field="template" />
        </>
      ) : (
        <fieldset>
          <legend>The call</legend>
          {text("agent-id", "agent_id", "Voice agent id", agentId, setAgentId)}
          <label class="inline">
            <input type="checkbox" id="records-calls" checked={records} onChange={(e) => setRecords(e.currentTarget.checked)} /> Record the calls
          </label>
          <FieldRefusal error={error} field="records_calls" />
          <p class="hint">An artificial or prerecorded call, marketing or informational, must open by naming the business and offer an automated opt-out (47 CFR 64.1200(b)).</p>
          {text("opening", "opening", "Opening disclosure", opening, setOpening)}
          {text("opt-out-key", "opt_out", "Opt-out key (a digit, * or #)", optOutKey, setOptOutKey, { maxLength: 1 })}
          <label for="opt-out-phrase">Opt-out phrase (what the agent says)</label>
          <input id="opt-out-phrase" value={optOutPhrase} onInput={(e) => setOptOutPhrase(e.currentTarget.value)} />
        </fieldset>
      )}

      {text("sender", "numbers", "Sender numbers (E.164, separated by commas)", senders, (v) => setSenders(v.trim()), { inputMode: "tel", placeholder: "+14155550100" })}

      <fieldset>
        <legend>Audience</legend>
        {init && init.audience.contact_ids.length > 0 && (
          <label class="inline">
            <input type="radio" name="audience" checked={audience === "same"} onChange={() => setAudience("same")} /> The same {init.audience.contact_ids.length} contacts
          </label>
        )}
        <label class="inline">
          <input type="radio" name="audience" checked={audience === "all"} onChange={() => setAudience("all")} /> Every contact
        </label>
        <label class="inline">
          <input type="radio" name="audience" checked={audience === "filter"} onChange={() => setAudience("filter")} /> Contacts with a tag and/or in a state
        </label>
        {audience === "filter" && (
          <>
            <label for="tag">Tag</label>
            <input id="tag" value={tag} onInput={(e) => setTag(e.currentTarget.value)} />
            <label for="state">State (two letters)</label>
            <input id="state" maxLength={2} value={state} onInput={(e) => setState(e.currentTarget.value)} />
          </>
        )}
        <FieldRefusal error={error} field="audience" />
      </fieldset>

      <fieldset>
        <legend>Campaign windows, in each contact's own time (federal and state calling hours always apply too)</legend>
        {windows.map((w, i) => (
          <div key={i} class="window" role="group" aria-label={`Window ${i + 1}`}>
            <div class="days">
              {DAYS.map((day) => (
                <label class="inline" key={day}>
                  <input type="checkbox" checked={w.days.includes(day)} onChange={() => toggleDay(i, day)} /> {day}
                </label>
              ))}
            </div>
            <label for={`window-start-${i}`}>From</label>
            <input id={`window-start-${i}`} value={w.start} onInput={(e) => setWindow(i, { start: e.currentTarget.value })} />
            <label for={`window-end-${i}`}>Until</label>
            <input id={`window-end-${i}`} value={w.end} onInput={(e) => setWindow(i, { end: e.currentTarget.value })} />
            {windows.length > 1 && (
              <button type="button" onClick={() => setWindows(windows.filter((_, j) => j !== i))}>Remove window {i + 1}</button>
            )}
          </div>
        ))}
        <button type="button" id="add-window" onClick={() => setWindows([...windows, { days: ["mon", "tue", "wed", "thu", "fri"], start: "09:00", end: "17:00" }])}>
          Add a window
        </button>
        <FieldRefusal error={error} field="windows" />
      </fieldset>

      <fieldset>
        <legend>Limits and schedule</legend>
        {text("max-attempts", "max_attempts_per_contact", "Attempts per contact (1–10)", attempts, setAttempts, { type: "number", min: 1, max: 10 })}
        {text("throughput", "throughput_per_sender_per_minute", "Per sender per minute (1–600)", throughput, setThroughput, { type: "number", min: 1, max: 600 })}
        {text("start-at", "start_at", "Start at (your time; empty: when started)", startAt, setStartAt, { type: "datetime-local" })}
        {text("end-at", "end_at", "End at (your time; empty: no end)", endAt, setEndAt, { type: "datetime-local" })}
      </fieldset>

      <FormRefusal error={error} fields={FIELDS} id="create-error" />
      <button type="submit" class="primary" disabled={busy}>
        {props.submitLabel}
      </button>
    </form>
  );
}
