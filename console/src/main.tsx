// The console's shell: who is signed in, the navigation, the API's warning banner on every page,
// and which page a path shows.
import type { JSX } from "preact";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, onWarning } from "./api/client";
import { Account } from "./pages/Account";
import { Audit } from "./pages/Audit";
import { CampaignDetail } from "./pages/CampaignDetail";
import { Campaigns, EditCampaign, NewCampaign } from "./pages/Campaigns";
import { ContactImport, ImportReport } from "./pages/ContactImport";
import { Contacts } from "./pages/Contacts";
import { Home } from "./pages/Home";
import { Integrations } from "./pages/Integrations";
import { Members } from "./pages/Members";
import { AcceptInvitation, SignIn, TwoFactor } from "./pages/SignIn";
import { tenantPage, TenantNav } from "./pages/tenantRoutes";
import { can } from "./roles";
import { match, navigate, useRoute } from "./router";
import { loadSession, SessionContext, type Whoami } from "./session";
import { Link, Refusal, useLoad } from "./ui";

function App(): JSX.Element {
  const path = useRoute();
  const session = useLoad(loadSession, []);
  if (path === "/sign-in") return <SignIn signedIn={() => { session.reload(); navigate("/"); }} />;
  if (path === "/accept-invitation") return <AcceptInvitation />;
  if (session.error) {
    return (
      <main id="main" class="narrow">
        <h1>Gatehouse</h1>
        <Refusal error={session.error} />
      </main>
    );
  }
  if (session.data === undefined) return <p role="status">Loading…</p>;
  const me = session.data;
  if (me === null || me.tenant_id === null) {
    return <SignIn signedIn={session.reload} />;
  }
  if (me.two_factor_pending) {
    // A tenant that requires two-factor lets a person without an authenticator enrol here first.
    if (path !== "/account") return <TwoFactor verified={session.reload} />;
    return (
      <SessionContext.Provider value={{ me, refresh: session.reload }}>
        <Account />
      </SessionContext.Provider>
    );
  }
  return (
    <SessionContext.Provider value={{ me, refresh: session.reload }}>
      <Shell me={me} signedOut={session.reload}>
        <Page path={path} />
      </Shell>
    </SessionContext.Provider>
  );
}

function Page(props: { path: string }): JSX.Element {
  const { path } = props;
  if (path === "/") return <Home />;
  if (path === "/campaigns") return <Campaigns />;
  if (path === "/campaigns/new") return <NewCampaign />;
  const edited = match("/campaigns/:id/edit", path);
  if (edited?.id) return <EditCampaign id={edited.id} key={edited.id} />;
  const campaign = match("/campaigns/:id", path);
  if (campaign?.id) return <CampaignDetail id={campaign.id} key={campaign.id} />;
  if (path === "/audit") return <Audit />;
  if (path === "/contacts") return <Contacts />;
  if (path === "/contacts/import") return <ContactImport />;
  const imported = match("/contacts/imports/:id", path);
  if (imported?.id) return <ImportReport id={imported.id} key={imported.id} />;
  if (path === "/integrations") return <Integrations />;
  if (path === "/members") return <Members />;
  if (path === "/account") return <Account />;
  const tenant = tenantPage(path);
  if (tenant) return tenant;
  return (
    <main id="main">
      <h1>Not found</h1>
      <p>
        No console page at this address. <Link to="/">Home</Link>
      </p>
    </main>
  );
}

function Shell(props: { me: Whoami; signedOut: () => void; children: JSX.Element }): JSX.Element {
  const [warning, setWarning] = useState<string | null>(null);
  useEffect(() => onWarning(setWarning), []);
  const signOut = async () => {
    await api.delete("/session");
    props.signedOut();
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <nav aria-label="Console">
          <Link to="/" class="brand">
            Gatehouse
          </Link>
          <Link to="/">Home</Link>
          <Link to="/campaigns">Campaigns</Link>
          {can.readAudit(props.me.role) && <Link to="/audit">Audit log</Link>}
          <Link to="/contacts">Contacts</Link>
          <Link to="/members">Members</Link>
          {can.manageIntegrations(props.me.role) && <Link to="/integrations">Integrations</Link>}
          <TenantNav role={props.me.role} />
        </nav>
        <div class="who">
          <span id="who-role">{props.me.role}</span>
          <Link to="/account">Your account</Link>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      {warning && (
        <div class="banner" role="alert" id="api-warning">
          {warning}
        </div>
      )}
      {props.children}
    </>
  );
}

const root = document.getElementById("root");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
