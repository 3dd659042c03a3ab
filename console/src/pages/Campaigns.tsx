// The campaign list, a new draft and the edit of a draft (both in CampaignForm).
import type { JSX } from "preact";
import { api } from "../api/client";
import { can, useAllowedByAccess } from "../roles";
import { navigate } from "../router";
import { useSession } from "../session";
import { Link, Refusal, useLoad, when } from "../ui";
import { CampaignForm } from "./CampaignForm";

export function Campaigns(): JSX.Element {
  const { me } = useSession();
  const list = useLoad(() => api.get("/campaigns", { query: { limit: 100 } }), []);
  const mayCreate = useAllowedByAccess(me.role, can.createCampaigns);
  return (
    <main id="main">
      <h1>Campaigns</h1>
      {mayCreate && (
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

export function NewCampaign(): JSX.Element {
  return (
    <main id="main" class="narrow">
      <h1>New campaign</h1>
      <CampaignForm
        submitLabel="Create the draft"
        save={async (spec) => {
          const created = await api.post("/campaigns", { body: spec });
          navigate(`/campaigns/${created.campaign_id}`);
        }}
      />
    </main>
  );
}

/** A draft's settings in the same form; saving replaces them (PUT) and returns to the campaign. */
export function EditCampaign(props: { id: string }): JSX.Element {
  const path = { campaign_id: props.id };
  const campaign = useLoad(() => api.get("/campaigns/{campaign_id}", { path }), [props.id]);
  const c = campaign.data;
  return (
    <main id="main" class="narrow">
      <h1>Edit {c ? c.spec.name : "campaign"}</h1>
      <Refusal error={campaign.error} />
      {c && c.status !== "draft" && <p class="warning">Only a draft is edited here; this campaign is {c.status}.</p>}
      {c && c.status === "draft" && (
        <CampaignForm
          initial={c.spec}
          submitLabel="Save the draft"
          save={async (spec) => {
            await api.put("/campaigns/{campaign_id}", { path, body: spec });
            navigate(`/campaigns/${props.id}`);
          }}
        />
      )}
    </main>
  );
}
