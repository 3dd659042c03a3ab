// Your own sign-in: enrol an authenticator app (its QR code, secret and otpauth URI shown once, kept only in
// this page's memory), confirm it with a code, read the recovery codes once; or turn it off.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { FieldRefusal, FormRefusal, describedBy } from "../forms";
import { useSession } from "../session";
import { Refusal } from "../ui";

/** The secret in groups of four, easier to type into an app by hand. */
function grouped(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(" ") ?? secret;
}

export function Account(): JSX.Element {
  const { me } = useSession();
  return (
    <main id="main" class="narrow">
      <h1>Your account</h1>
      <p>
        Signed in as <span id="account-user">{me.user_id}</span>, <strong>{me.role}</strong> in this tenant.
      </p>
      <TwoFactorSetup />
      <TwoFactorOff />
    </main>
  );
}

function TwoFactorSetup(): JSX.Element {
  const { refresh } = useSession();
  const [enrolment, setEnrolment] = useState<Schemas["Enrolled"] | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const start = async () => {
    setError(null);
    try {
      setEnrolment(await api.post("/account/two-factor"));
    } catch (failure) {
      setError(failure);
    }
  };
  const confirm = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const confirmed = await api.post("/account/two-factor/confirm", { body: { code } });
      setCodes(confirmed.recovery_codes);
      setEnrolment(null);
      setCode("");
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title">Two-factor sign-in</h2>
      {codes && (
        <RecoveryCodes
          codes={codes}
          onDone={() => {
            setCodes(null);
            refresh();
          }}
        />
      )}
      {!enrolment && !codes && (
        <>
          <p>
            With an authenticator app, signing in takes the mailed link and a six-digit code. Your tenant may require it
            for owners, admins and approvers.
          </p>
          <button type="button" class="primary" id="enrol" onClick={() => void start()}>
            Set up an authenticator app
          </button>
          <Refusal error={error} id="enrol-error" />
        </>
      )}
      {enrolment && (
        <>
          <p>
            Scan this code with your authenticator app, or add the key below (time-based, six digits, every 30
            seconds). Both are shown only now.
          </p>
          <img
            id="totp-qr"
            class="qr"
            src={`data:image/png;base64,${enrolment.otpauth_qr_png}`}
            alt="QR code of your authenticator app's link (the key below, as a code to scan)"
          />
          <dl>
            <dt>Key</dt>
            <dd>
              <code id="totp-secret">
                {grouped(enrolment.secret)}
              </code>
            </dd>
            <dt>Or the app's link</dt>
            <dd>
              <code id="totp-uri" class="wrap">
                {enrolment.otpauth_uri}
              </code>
            </dd>
          </dl>
          <form onSubmit={confirm} noValidate>
            <label for="totp-code">The code your app shows now</label>
            <input
              id="totp-code"
              inputMode="numeric"
              autocomplete="one-time-code"
              maxLength={6}
              value={code}
              aria-describedby={describedBy(error, "code", "totp-")}
              onInput={(e) => setCode(e.currentTarget.value.trim())}
            />
            <FieldRefusal error={error} field="code" prefix="totp-" />
            <FormRefusal error={error} fields={["code"]} id="confirm-error" />
            <button type="submit" class="primary" disabled={busy} id="confirm-two-factor">
              Turn on two-factor
            </button>
          </form>
        </>
      )}
    </section>
  );
}

/** Shown once; "done" reloads the session, which a sign-in waiting for its second factor needs. */
function RecoveryCodes(props: { codes: string[]; onDone: () => void }): JSX.Element {
  return (
    <div role="status" id="two-factor-on">
      <p class="ok">
        <strong>Two-factor is on.</strong> From your next sign-in, the console asks for a code after the link.
      </p>
      <p>
        Keep these recovery codes somewhere safe, away from this device. Each signs you in once without the app. They
        are shown only now.
      </p>
      <ul id="recovery-codes" class="codes">
        {props.codes.map((recovery) => (
          <li key={recovery}>
            <code>{recovery}</code>
          </li>
        ))}
      </ul>
      <button type="button" id="recovery-codes-kept" onClick={props.onDone}>
        I have kept them
      </button>
    </div>
  );
}

function TwoFactorOff(): JSX.Element {
  const [code, setCode] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await api.post("/account/two-factor/disable", { body: { code } });
      setDone(true);
      setCode("");
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section class="card" aria-labelledby="two-factor-off-title">
      <h2 id="two-factor-off-title">Turn two-factor off</h2>
      <form onSubmit={submit} noValidate>
        <label for="disable-code">A fresh code from your app</label>
        <input
          id="disable-code"
          inputMode="numeric"
          autocomplete="one-time-code"
          maxLength={6}
          value={code}
          aria-describedby={describedBy(error, "code", "disable-")}
          onInput={(e) => setCode(e.currentTarget.value.trim())}
        />
        <FieldRefusal error={error} field="code" prefix="disable-" />
        <FormRefusal error={error} fields={["code"]} id="disable-error" />
        <button type="submit" id="disable-two-factor">
          Turn off
        </button>
      </form>
      {done && (
        <p role="status" id="two-factor-off">
          Two-factor is off: signing in takes the mailed link only.
        </p>
      )}
    </section>
  );
}
