// One campaign: what it is, what the gates would decide now (pre-flight), the approval steps with
// the four-eyes rule in view, its runs' progress and its report.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, urlOf, type Schemas } from "../api/client";
import { BarChart } from "../chart";
import { can } from "../roles";
import { actorOf, useSession } from "../session";
import { Action, Counts, Link, Refusal, useLoad, when } from "../ui";

type Campaign = Schemas["CampaignOut"];
const LIVE = new Set(["running", "scheduled"]);

export function CampaignDetail(props: { id: string }): JSX.Element {
  const campaign = useLoad(() => api.get("/campaigns/{campaign_id}", { path: { campaign_id: props.id } }), [props.id]);
  const policy = useLoad(() => api.get("/campaign-policy"), []);
  const c = campaign.data;
  // While it runs, the page follows it: the campaign, its runs and its report every 1.5 s.
  const [beat, setBeat] = useState(0);
  useEffect(() => {
    if (!c || !LIVE.has(c.status)) return undefined;
    const timer = window.setInterval(() => {
      campaign.reload();
      setBeat((n) => n + 1);
    }, 1500);
    return () => window.clearInterval(timer);
  }, [c?.status]);
  return (
    <main id="main">
      <Refusal error={campaign.error} />
      {c && (
        <>
          <h1>
            {c.spec.name} <span class="badge" id="campaign-status">{c.status}</span>
          </h1>
          <Steps campaign={c} fourEyes={policy.data?.four_eyes ?? false} changed={campaign.reload} />
          <Spec campaign={c} />
          {(c.status === "draft" || c.status === "submitted" || c.status === "approved") && <Preflight id={c.campaign_id} />}
          <Runs campaign={c} beat={beat} />
          {c.status !== "draft" && c.status !== "submitted" && <Report campaign={c} beat={beat} />}
          <History campaign={c} />
        </>
      )}
    </main>
  );
}

function Steps(props: { campaign: Campaign; fourEyes: boolean; changed: () => void }): JSX.Element {
  const { me } = useSession();
  const { campaign: c, changed } = props;
  const path = { campaign_id: c.campaign_id };
  const mine = c.submitted_by === actorOf(me);
  const [reason, setReason] = useState("");
  const actions: JSX.Element[] = [];
  if (c.status === "draft" && can.writeCampaigns(me.role)) {
    actions.push(
      <Link to={`/campaigns/${c.campaign_id}/edit`} class="button">
        Edit the draft
      </Link>,
    );
    actions.push(<Action id="submit" label="Submit for approval" kind="primary" run={() => api.post("/campaigns/{campaign_id}/submit", { path })} done={changed} />);
  }
  if (c.status === "submitted" && can.approveCampaigns(me.role) && !(props.fourEyes && mine)) {
    actions.push(<Action id="approve" label="Approve" kind="primary" run={() => api.post("/campaigns/{campaign_id}/approve", { path })} done={changed} />);
    actions.push(
      <span class="reject">
        <label for="reject-reason">Reason to send it back</label>
        <input id="reject-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        <Action id="reject" label="Reject" kind="danger" run={() => api.post("/campaigns/{campaign_id}/reject", { path, body: { reason: reason || null } })} done={changed} />
      </span>,
    );
  }
  if ((c.status === "approved" || c.status === "paused") && can.approveCampaigns(me.role)) {
    actions.push(
      c.status === "approved" ? (
        <Action id="start" label="Start" kind="primary" run={() => api.post("/campaigns/{campaign_id}/start", { path })} done={changed} />
      ) : (
        <Action id="resume" label="Resume" kind="primary" run={() => api.post("/campaigns/{campaign_id}/resume", { path })} done={changed} />
      ),
    );
  }
  if (c.status === "running" && can.writeCampaigns(me.role)) {
    actions.push(<Action id="pause" label="Pause" run={() => api.post("/campaigns/{campaign_id}/pause", { path })} done={changed} />);
  }
  if (!["completed", "cancelled", "draft"].includes(c.status) && can.writeCampaigns(me.role)) {
    actions.push(<Action id="cancel" label="Cancel for good" kind="danger" run={() => api.post("/campaigns/{campaign_id}/cancel", { path })} done={changed} />);
  }
  return (
    <section aria-labelledby="steps-title" class="card">
      <h2 id="steps-title">Approval and run</h2>
      <p class="hint">
        {props.fourEyes
          ? "Four-eyes is on: whoever submits a campaign cannot approve it; another owner or admin must."
          : "Four-eyes is off: an owner or admin may approve a campaign they submitted."}
      </p>
      {c.status === "submitted" && (
        <p id="approval-state">
          Submitted by {mine ? "you" : c.submitted_by}.{" "}
          {props.fourEyes && mine ? <strong>Awaiting another approver.</strong> : !can.approveCampaigns(me.role) && "An owner or admin approves it."}
        </p>
      )}
      {c.approved_by && <p>Approved by {c.approved_by === actorOf(me) ? "you" : c.approved_by}.</p>}
      {actions.length > 0 ? <div class="actions">{actions}</div> : <p class="quiet" id="no-actions">Nothing for you to do here now.</p>}
    </section>
  );
}

function Spec(props: { campaign: Campaign }): JSX.Element {
  const { spec } = props.campaign;
  const audience = spec.audience.contact_ids.length
    ? `${spec.audience.contact_ids.length} contacts`
    : [spec.audience.tag && `tag ${spec.audience.tag}`, spec.audience.state && `state ${spec.audience.state}`].filter(Boolean).join(", ");
  return (
    <section aria-labelledby="spec-title" class="card">
      <h2 id="spec-title">Campaign</h2>
      <dl>
        <dt>Channel and purpose</dt>
        <dd>
          {spec.channel}, {spec.purpose}
        </dd>
        <dt>Audience</dt>
        <dd>{audience}</dd>
        {spec.content.kind === "sms" && (
          <>
            <dt>Message</dt>
            <dd>{spec.content.template}</dd>
          </>
        )}
        <dt>Senders</dt>
        <dd>{spec.senders.numbers.join(", ")}</dd>
        <dt>Schedule</dt>
        <dd id="spec-schedule">
          {spec.start_at ? `starts ${when(spec.start_at)}` : "starts when started"}
          {spec.end_at && `, ends ${when(spec.end_at)}`}
        </dd>
        <dt>Windows</dt>
        <dd>{spec.windows.map((w) => `${w.days.join(" ")} ${w.start}–${w.end}`).join("; ")}</dd>
      </dl>
    </section>
  );
}

interface PreflightTotals {
  contacts: number;
  counts: Record<string, number>;
  opens: Record<string, string>;
  campaign: string[];
}

/** Every page of the pre-flight, summed (each page counts only its own contacts). */
async function preflightTotals(id: string): Promise<PreflightTotals> {
  const totals: PreflightTotals = { contacts: 0, counts: {}, opens: {}, campaign: [] };
  let cursor: string | null = null;
  do {
    const page: Schemas["PreflightOut"] = await api.get("/campaigns/{campaign_id}/preflight", {
      path: { campaign_id: id },
      query: { limit: 500, cursor },
    });
    totals.contacts += page.contacts;
    totals.campaign = page.campaign;
    for (const [key, count] of Object.entries(page.counts)) totals.counts[key] = (totals.counts[key] ?? 0) + count;
    for (const [key, at] of Object.entries(page.opens)) {
      const known = totals.opens[key];
      if (!known || at < known) totals.opens[key] = at;
    }
    cursor = page.next_cursor;
  } while (cursor);
  return totals;
}

function Preflight(props: { id: string }): JSX.Element {
  const found = useLoad(() => preflightTotals(props.id), [props.id]);
  return (
    <section aria-labelledby="preflight-title" class="card" id="preflight">
      <h2 id="preflight-title">Pre-flight: what the gates would decide now</h2>
      <Refusal error={found.error} />
      {!found.data && !found.error && <p role="status">Asking every gate…</p>}
      {found.data && (
        <>
          <p>
            <span id="preflight-contacts">{found.data.contacts}</span> contacts in the audience.
          </p>
          {found.data.campaign.map((reason) => (
            <p class="warning" key={reason}>
              The whole campaign could not send now: {reason}
            </p>
          ))}
          <Counts counts={found.data.counts} caption="Contacts by what the gates would decide" id="preflight-counts" />
          {Object.entries(found.data.opens).map(([reason, at]) => (
            <p key={reason}>
              {reason}: the first of them opens {when(at)}.
            </p>
          ))}
          <button type="button" onClick={found.reload}>
            Ask again
          </button>
        </>
      )}
    </section>
  );
}

function Runs(props: { campaign: Campaign; beat: number }): JSX.Element | null {
  const { campaign: c } = props;
  const runs = useLoad(
    () => api.get("/campaigns/{campaign_id}/runs", { path: { campaign_id: c.campaign_id } }),
    [c.campaign_id, c.status, props.beat],
  );
  if (!runs.data || runs.data.items.length === 0) return <Refusal error={runs.error} />;
  return (
    <section aria-labelledby="runs-title" class="card" id="runs">
      <h2 id="runs-title">Runs</h2>
      <Refusal error={runs.error} />
      {runs.data.items.map((run) => (
        <div key={run.run_id} class="run">
          <p>
            Run started {when(run.started_at)}: <strong class="run-status">{run.status}</strong>
            {run.finished_at && `, ended ${when(run.finished_at)}`}
            {run.reason && ` (${run.reason})`}
          </p>
          <Counts counts={run.counts} caption="This run so far" id={`run-${run.run_id}`} />
        </div>
      ))}
    </section>
  );
}

function Report(props: { campaign: Campaign; beat: number }): JSX.Element {
  const { campaign: c } = props;
  const report = useLoad(
    () => api.get("/campaigns/{campaign_id}/report", { path: { campaign_id: c.campaign_id }, query: { limit: 100 } }),
    [c.campaign_id, c.status, props.beat],
  );
  const exportUrl = urlOf("/campaigns/{campaign_id}/report/export", { path: { campaign_id: c.campaign_id } });
  return (
    <section aria-labelledby="report-title" class="card" id="report">
      <h2 id="report-title">Report</h2>
      <Refusal error={report.error} />
      {report.data && (
        <>
          <BarChart counts={report.data.counts} noun="contacts by outcome" id="report-chart" />
          <Counts counts={report.data.counts} caption="Contacts by outcome" id="report-counts" />
          <p>
            <a href={exportUrl} download="campaign-report.csv" id="report-export">
              Export the report as CSV
            </a>
          </p>
          <table id="report-items">
            <caption>Outcome per contact (first 100)</caption>
            <thead>
              <tr>
                <th scope="col">Contact</th>
                <th scope="col">Outcome</th>
                <th scope="col">Reason</th>
                <th scope="col">Delivery</th>
              </tr>
            </thead>
            <tbody>
              {report.data.items.map((item) => (
                <tr key={item.contact_id}>
                  <td>{item.contact_id}</td>
                  <td>{item.status}</td>
                  <td>
                    {item.reason ?? ""}
                    {item.until && ` until ${when(item.until)}`}
                  </td>
                  <td>{item.delivery_status ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function History(props: { campaign: Campaign }): JSX.Element {
  return (
    <section aria-labelledby="history-title" class="card">
      <h2 id="history-title">History</h2>
      <ol>
        {props.campaign.history.map((t, i) => (
          <li key={i}>
            {when(t.at)}: {t.status} by {t.by}
            {t.reason && ` — ${t.reason}`}
          </li>
        ))}
      </ol>
    </section>
  );
}
