// The settings pages' own navigation, on each of them.
import type { JSX } from "preact";
import { can } from "../roles";
import { Link } from "../ui";

/** The settings pages, linked from each of them. */
export function SettingsNav(props: { role: string | null }): JSX.Element {
  const { role } = props;
  return (
    <nav aria-label="Settings" class="subnav">
      <Link to="/settings">Tenant settings</Link>
      <Link to="/sessions">Your sessions</Link>
      {can.manageApiKeys(role) && <Link to="/api-keys">API keys</Link>}
      {can.manageSettings(role) && <Link to="/event-endpoints">Event endpoints</Link>}
      <Link to="/billing">Billing</Link>
    </nav>
  );
}
