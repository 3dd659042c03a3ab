// Billing: the tenant's status, and for owners the Stripe-hosted Checkout and Portal the API opens.
// No card data passes through Gatehouse; the page only follows the URL the API answers, or shows
// why there is none (no Stripe configured in the sandbox, or Stripe's https-only return address).
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api } from "../api/client";
import { can } from "../roles";
import { useSession } from "../session";
import { Refusal, useLoad, when } from "../ui";
import { SettingsNav } from "./SettingsNav";

export function Billing(): JSX.Element {
  const { me } = useSession();
  const billing = useLoad(() => api.get("/billing"), []);
  const back = `${window.location.origin}/app/billing`;
  return (
    <main id="main">
      <SettingsNav role={me.role} />
      <h1>Billing</h1>
      <Refusal error={billing.error} />
      {billing.data && (
        <section aria-labelledby="status-title" class="card">
          <h2 id="status-title">Subscription</h2>
          <p>
            Status: <strong id="billing-state">{billing.data.status}</strong>
            {billing.data.status !== "active" && " — campaigns cannot run until billing is active."}
          </p>
          {billing.data.updated_at && <p class="quiet">Updated {when(billing.data.updated_at)}.</p>}
        </section>
      )}
      {can.manageBilling(me.role) && (
        <section aria-labelledby="stripe-title" class="card">
          <h2 id="stripe-title">Stripe</h2>
          <p class="hint">Payment details are entered on Stripe's own pages; Stripe sends you back here.</p>
          <div class="actions">
            <StripeLink id="checkout" label="Subscribe with Stripe Checkout" open={() => api.post("/billing/checkout", { body: { success_url: back, cancel_url: back } })} />
            {billing.data?.customer && (
              <StripeLink id="portal" label="Manage billing in the Stripe portal" open={() => api.post("/billing/portal", { body: { return_url: back } })} />
            )}
          </div>
        </section>
      )}
    </main>
  );
}

function StripeLink(props: { id: string; label: string; open: () => Promise<{ url: string }> }): JSX.Element {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [url, setUrl] = useState<string | null>(null);
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      const answer = await props.open();
      setUrl(answer.url);
      window.location.assign(answer.url);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action">
      <button type="button" id={props.id} class="primary" disabled={busy} onClick={() => void go()} aria-describedby={error ? `${props.id}-error` : undefined}>
        {props.label}
      </button>
      <Refusal error={error} id={`${props.id}-error`} />
      {url && (
        <p role="status">
          Opening Stripe… <a href={url}>continue</a>
        </p>
      )}
    </span>
  );
}
