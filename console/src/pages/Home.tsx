// The tenant at a glance: campaigns by state, pending approvals, DNC source, billing, held replies.
import type { JSX } from "preact";
import { api, type Schemas } from "../api/client";
import { can } from "../roles";
import { useSession } from "../session";
import { Link, Refusal, useLoad, when } from "../ui";

type Campaign = Schemas["CampaignOut"];

export function Home(): JSX.Element {
  const { me } = useSession();
  const campaigns = useLoad(() => api.get("/campaigns", { query: { limit: 100 } }), []);
  const dnc = useLoad(() => api.get("/dnc/status"), []);
  const billing = useLoad(() => api.get("/billing"), []);
  const items = campaigns.data?.items ?? [];
  const byStatus = (...wanted: string[]) => items.filter((c) => wanted.includes(c.status));
  return (
    <main id="main">
      <h1>Home</h1>
      <div class="grid">
        <section aria-labelledby="running-title" class="card">
          <h2 id="running-title">Running and scheduled</h2>
          <Refusal error={campaigns.error} />
          <CampaignList items={byStatus("running", "scheduled")} empty="No campaign is running." />
        </section>
        <section aria-labelledby="paused-title" class="card">
          <h2 id="paused-title">Paused</h2>
          <CampaignList items={byStatus("paused")} empty="No campaign is paused." withReason />
        </section>
        <section aria-labelledby="approvals-title" class="card">
          <h2 id="approvals-title">Waiting for approval</h2>
          <CampaignList items={byStatus("submitted")} empty="Nothing waits for approval." />
        </section>
        <section aria-labelledby="dnc-title" class="card" id="dnc-status">
          <h2 id="dnc-title">Do-Not-Call source</h2>
          <Refusal error={dnc.error} />
          {dnc.data && <DncSummary status={dnc.data} />}
        </section>
        <section aria-labelledby="billing-title" class="card">
          <h2 id="billing-title">Billing</h2>
          <Refusal error={billing.error} />
          {billing.data && (
            <p>
              Status: <strong id="billing-status">{billing.data.status}</strong>
              {billing.data.status !== "active" && " — campaigns cannot run until billing is active."}
            </p>
          )}
        </section>
        {can.reviewOptouts(me.role) && <HeldReplies />}
      </div>
      <p>
        <Link to="/campaigns">All campaigns</Link>
      </p>
    </main>
  );
}

function CampaignList(props: { items: Campaign[]; empty: string; withReason?: boolean }): JSX.Element {
  if (props.items.length === 0) return <p class="quiet">{props.empty}</p>;
  return (
    <ul>
      {props.items.map((c) => {
        const last = c.history[c.history.length - 1];
        return (
          <li key={c.campaign_id}>
            <Link to={`/campaigns/${c.campaign_id}`}>{c.spec.name}</Link> <span class="badge">{c.status}</span>
            {props.withReason && last?.reason && <span> — {last.reason}. Resume it from its page.</span>}
          </li>
        );
      })}
    </ul>
  );
}

function DncSummary(props: { status: Schemas["DncStatus"] }): JSX.Element {
  const { status } = props;
  const stale = status.area_codes.filter((a) => !a.fresh);
  return (
    <>
      <p>
        Provider: <strong id="dnc-provider">{status.provider === "none" ? "none connected" : status.provider}</strong>
      </p>
      {status.acknowledgment && <p>Running without a provider was acknowledged {when(status.acknowledgment.acknowledged_at)}.</p>}
      {status.area_codes.length > 0 && (
        <p>
          Registry files: {status.area_codes.length} area codes, {stale.length} stale.
        </p>
      )}
      {status.warnings.map((warning) => (
        <p class="warning" key={warning}>
          {warning}
        </p>
      ))}
    </>
  );
}

function HeldReplies(): JSX.Element {
  const held = useLoad(() => api.get("/optout-reviews", { query: { limit: 100 } }), []);
  const count = held.data?.items.length ?? 0;
  return (
    <section aria-labelledby="held-title" class="card">
      <h2 id="held-title">Replies held for review</h2>
      <Refusal error={held.error} />
      {held.data && (
        <p id="held-count">
          {count === 0
            ? "None: no reply waits for a decision."
            : `${count}${held.data.next_cursor ? "+" : ""} replies wait for a decision; their numbers get no attempt until then.`}
        </p>
      )}
    </section>
  );
}
