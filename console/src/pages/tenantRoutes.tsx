// The tenant's own pages beyond campaigns: the inbox, a contact, suppression and reviews, keys and
// sessions, settings, billing and event endpoints. The shell asks here which page a path shows and
// which of these the navigation offers a role.
import type { JSX } from "preact";
import { can } from "../roles";
import { match } from "../router";
import { Link } from "../ui";
import { ApiKeys } from "./ApiKeys";
import { Billing } from "./Billing";
import { ContactDetail, ContactErased } from "./ContactDetail";
import { EventEndpoints } from "./EventEndpoints";
import { Conversation, Inbox } from "./Inbox";
import { OptoutReviews } from "./OptoutReviews";
import { Sessions } from "./Sessions";
import { Settings } from "./Settings";
import { Suppressions } from "./Suppressions";

export function tenantPage(path: string): JSX.Element | null {
  const fixed: Record<string, () => JSX.Element> = {
    "/conversations": () => <Inbox />,
    "/suppressions": () => <Suppressions />,
    "/optout-reviews": () => <OptoutReviews />,
    "/api-keys": () => <ApiKeys />,
    "/sessions": () => <Sessions />,
    "/settings": () => <Settings />,
    "/billing": () => <Billing />,
    "/event-endpoints": () => <EventEndpoints />,
  };
  const page = fixed[path];
  if (page) return page();
  const erased = match("/contacts/:id/erased", path);
  if (erased?.id) return <ContactErased id={erased.id} />;
  const contact = match("/contacts/:id", path);
  if (contact?.id && contact.id !== "new" && contact.id !== "import") return <ContactDetail id={contact.id} key={contact.id} />;
  // A conversation's id is `<contact id>.<channel>`; the page's address keeps the dot out of the path
  // (a dotted last segment would be taken for a file by the server).
  const conversation = match("/conversations/:contact/:channel", path);
  if (conversation?.contact && conversation.channel) {
    const id = `${conversation.contact}.${conversation.channel}`;
    return <Conversation id={id} key={id} />;
  }
  return null;
}

/** The navigation links to these pages that a role may use. */
export function TenantNav(props: { role: string | null }): JSX.Element {
  const { role } = props;
  return (
    <>
      {can.readConversations(role) && <Link to="/conversations">Inbox</Link>}
      <Link to="/suppressions">Suppression</Link>
      {can.reviewOptouts(role) && <Link to="/optout-reviews">Reviews</Link>}
      <Link to="/settings">Settings</Link>
    </>
  );
}
