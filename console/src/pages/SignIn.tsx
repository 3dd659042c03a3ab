// Magic-link sign-in: ask for a link, or spend the one in the URL's fragment (read once, then
// dropped from the address bar and kept in memory only until the exchange is done).
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api/client";
import { forgetFragment } from "../router";
import { Refusal } from "../ui";

interface TenantChoice {
  tenant_id: string;
  name: string;
}

function tokenInFragment(): string | null {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const token = fragment.get("token");
  if (window.location.hash) forgetFragment();
  return token;
}

export function SignIn(props: { signedIn: () => void }): JSX.Element {
  const [token] = useState(tokenInFragment);
  return token ? <Exchange token={token} signedIn={props.signedIn} /> : <AskForLink />;
}

function AskForLink(): JSX.Element {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await api.post("/sign-in/link", { body: { email } });
      setSent(true);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <main id="main" class="narrow">
      <h1>Sign in to Gatehouse</h1>
      <form onSubmit={submit} noValidate>
        <label for="email">E-mail address</label>
        <input
          id="email"
          type="email"
          autocomplete="email"
          required
          value={email}
          aria-describedby={error ? "email-error" : undefined}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        <Refusal error={error} id="email-error" />
        <button type="submit" class="primary">
          Mail me a sign-in link
        </button>
      </form>
      {sent && (
        <p role="status" id="link-sent">
          If that address may sign in, a link is on its way. It works once and expires in 15 minutes.
        </p>
      )}
      <p class="hint">
        On the local runtime no mail leaves the machine: the link is in the mail outbox that <code>make run</code>{" "}
        prints (and writes to <code>.local/gatehouse-local/outbox.jsonl</code>).
      </p>
    </main>
  );
}

function Exchange(props: { token: string; signedIn: () => void }): JSX.Element {
  const [choices, setChoices] = useState<TenantChoice[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const exchange = async (tenantId?: string) => {
    setError(null);
    try {
      await api.post("/sign-in/session", {
        body: { token: props.token, operator_console: false, tenant_id: tenantId ?? null },
      });
      props.signedIn();
    } catch (failure) {
      const offered = failure instanceof ApiError && failure.status === 422 ? tenantsIn(failure) : [];
      if (offered.length > 0) setChoices(offered);
      else setError(failure);
    }
  };
  useEffect(() => {
    void exchange();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <main id="main" class="narrow">
      <h1>Signing in</h1>
      {choices && (
        <section aria-labelledby="pick-tenant">
          <h2 id="pick-tenant">Which tenant?</h2>
          <p>You belong to several. Pick the one to work in now; you can sign in to another later.</p>
          <ul class="choices">
            {choices.map((choice) => (
              <li key={choice.tenant_id}>
                <button type="button" onClick={() => void exchange(choice.tenant_id)}>
                  {choice.name}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <Refusal error={error} id="exchange-error" />
      {error !== null && (
        <p>
          <a href="/app/sign-in">Ask for a new link</a>
        </p>
      )}
      {!choices && error === null && <p role="status">Checking your link…</p>}
    </main>
  );
}

function tenantsIn(error: ApiError): TenantChoice[] {
  return error.details
    .filter((d) => typeof d.tenant_id === "string" && typeof d.name === "string")
    .map((d) => ({ tenant_id: d.tenant_id as string, name: d.name as string }));
}

/** The second factor when the session waits for it (code or recovery code). */
export function TwoFactor(props: { verified: () => void }): JSX.Element {
  const [code, setCode] = useState("");
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const recovery = code.includes("-") || /[a-z]/.test(code);
    try {
      await api.post("/session/two-factor", {
        body: recovery ? { recovery_code: code, code: null } : { code, recovery_code: null },
      });
      props.verified();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <main id="main" class="narrow">
      <h1>Two-factor sign-in</h1>
      <form onSubmit={submit}>
        <label for="code">Code from your authenticator app, or a recovery code</label>
        <input
          id="code"
          autocomplete="one-time-code"
          inputMode="text"
          value={code}
          aria-describedby={error ? "code-error" : undefined}
          onInput={(e) => setCode(e.currentTarget.value.trim())}
        />
        <Refusal error={error} id="code-error" />
        <button type="submit" class="primary">
          Verify
        </button>
      </form>
      <p class="hint">
        No authenticator app yet, and your tenant requires one for your role?{" "}
        <a href="/app/account">Set one up now</a>.
      </p>
    </main>
  );
}

/** An invitation's link: accept it here, then sign in. */
export function AcceptInvitation(): JSX.Element {
  const [token] = useState(tokenInFragment);
  const [accepted, setAccepted] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const accept = async () => {
    if (!token) return;
    setError(null);
    try {
      await api.post("/invitations/accept", { body: { token } });
      setAccepted(true);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <main id="main" class="narrow">
      <h1>Accept an invitation</h1>
      {!token && <p>This page needs the link from your invitation mail.</p>}
      {token && !accepted && (
        <button type="button" class="primary" id="accept" onClick={() => void accept()}>
          Accept the invitation
        </button>
      )}
      <Refusal error={error} id="accept-error" />
      {accepted && (
        <p role="status">
          You are a member now. <a href="/app/sign-in">Sign in</a>.
        </p>
      )}
    </main>
  );
}
