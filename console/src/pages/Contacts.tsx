// The contact list: a page at a time, filtered by channel eligibility, with each channel's
// eligibility and the reasons a contact may not be reached. Filters stay in memory, never the URL.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { can, useAllowedByAccess } from "../roles";
import { useSession } from "../session";
import { Link, Pager, Refusal, useLoad, usePages } from "../ui";

type Channel = Schemas["Channel"];
type Contact = Schemas["ContactView"];

const PAGE = 50;
const CHANNELS: Channel[] = ["sms", "voice"];

/** Whether this person may import contact files (undefined while a member's tenant policy loads). */
export function useMayImport(role: string | null): boolean | undefined {
  return useAllowedByAccess(role, can.importContacts);
}

export function Contacts(): JSX.Element {
  const { me } = useSession();
  const mayImport = useMayImport(me.role);
  const [ineligible, setIneligible] = useState<Channel | "">("");
  const pages = usePages();
  const cursor = pages.cursor;
  const page = useLoad(
    () =>
      api.get("/contacts", {
        query: { limit: PAGE, cursor, ineligible_for: ineligible === "" ? null : ineligible },
      }),
    [cursor, ineligible],
  );
  const filter = (value: string) => {
    setIneligible(value as Channel | "");
    pages.restart();
  };
  return (
    <main id="main">
      <h1>Contacts</h1>
      {mayImport && (
        <p>
          <Link to="/contacts/import" class="button primary">
            Import a CSV file
          </Link>
        </p>
      )}
      <label for="ineligible-filter">Show</label>
      <select id="ineligible-filter" value={ineligible} onChange={(e) => filter(e.currentTarget.value)}>
        <option value="">every contact</option>
        {CHANNELS.map((channel) => (
          <option key={channel} value={channel}>
            contacts who may not be reached by {channel}
          </option>
        ))}
      </select>
      <Refusal error={page.error} />
      {page.data && page.data.items.length === 0 && <p class="quiet">No contact here.</p>}
      {page.data && page.data.items.length > 0 && <ContactTable items={page.data.items} />}
      <Pager
        pages={pages}
        next={page.data?.next_cursor}
        back="Previous page"
        forward="Next page"
        ids={{ back: "previous-page", forward: "next-page" }}
      />
    </main>
  );
}

function ContactTable(props: { items: Contact[] }): JSX.Element {
  return (
    <table id="contacts">
      <caption class="visually-hidden">Contacts with their eligibility per channel</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Phone</th>
          <th scope="col">State</th>
          {CHANNELS.map((channel) => (
            <th scope="col" key={channel}>
              {channel.toUpperCase()}
            </th>
          ))}
          <th scope="col">Do-Not-Call</th>
        </tr>
      </thead>
      <tbody>
        {props.items.map((contact) => (
          <tr key={contact.contact_id} data-contact={contact.contact_id}>
            <th scope="row">{[contact.first_name, contact.last_name].filter(Boolean).join(" ") || "—"}</th>
            <td>{contact.phone}</td>
            <td>{contact.state ?? "—"}</td>
            {CHANNELS.map((channel) => (
              <td key={channel} class={`eligibility-${channel}`}>
                <Eligibility found={contact.eligibility[channel]} suppressed={contact.suppressed} />
              </td>
            ))}
            <td>{contact.dnc_status}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Eligibility(props: { found: Schemas["ChannelEligibility"] | undefined; suppressed: boolean }): JSX.Element {
  const { found } = props;
  if (!found) return <span class="quiet">—</span>;
  if (found.eligible) {
    return (
      <span class="ok">
        eligible{found.written === false && <span class="quiet"> (no written consent: not for marketing)</span>}
      </span>
    );
  }
  const reasons = found.reasons.length > 0 ? found.reasons : props.suppressed ? ["suppressed"] : [];
  return (
    <span>
      <strong>not eligible</strong>
      {reasons.length > 0 && <span class="reasons">: {reasons.join(", ")}</span>}
    </span>
  );
}
