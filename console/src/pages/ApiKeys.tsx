// API keys: create (the key is shown once, with a copy button, and kept only in this page's
// memory), rotate (a new key shown once; the old one works 24 hours more), revoke.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { can, type Role } from "../roles";
import { useSession } from "../session";
import { Action, Refusal, useLoad, when } from "../ui";
import { SettingsNav } from "./SettingsNav";

const ROLES: Role[] = ["viewer", "member", "admin", "owner"];

export function ApiKeys(): JSX.Element {
  const { me } = useSession();
  const keys = useLoad(() => api.get("/api-keys", { query: { limit: 100 } }), []);
  const [shown, setShown] = useState<Schemas["ApiKeyCreated"] | null>(null);
  const manage = can.manageApiKeys(me.role);
  return (
    <main id="main">
      <SettingsNav role={me.role} />
      <h1>API keys</h1>
      {shown && <ShownOnce created={shown} dismiss={() => setShown(null)} />}
      {manage && (
        <Create
          created={(key) => {
            setShown(key);
            keys.reload();
          }}
        />
      )}
      <Refusal error={keys.error} id="keys-error" />
      <table id="api-keys">
        <caption class="visually-hidden">API keys</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Starts with</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">State</th>
            {manage && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {(keys.data?.items ?? []).map((key) => (
            <tr key={key.key_id}>
              <td>{key.name}</td>
              <td>{key.role}</td>
              <td>
                <code>{key.display_prefix}…</code>
              </td>
              <td>{when(key.created_at)}</td>
              <td>{when(key.last_used_at)}</td>
              <td>{key.revoked_at ? `revoked ${when(key.revoked_at)}` : key.rotated_at ? `rotated ${when(key.rotated_at)}` : "active"}</td>
              {manage && (
                <td>
                  {!key.revoked_at && (
                    <div class="actions">
                      <Action
                        id={`rotate-${key.key_id}`}
                        label={`Rotate ${key.name}`}
                        run={async () => setShown(await api.post("/api-keys/{key_id}/rotate", { path: { key_id: key.key_id } }))}
                        done={keys.reload}
                      />
                      <Action
                        id={`revoke-${key.key_id}`}
                        label={`Revoke ${key.name}`}
                        kind="danger"
                        run={() => api.delete("/api-keys/{key_id}", { path: { key_id: key.key_id } })}
                        done={keys.reload}
                      />
                    </div>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}

function Create(props: { created: (key: Schemas["ApiKeyCreated"]) => void }): JSX.Element {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      props.created(await api.post("/api-keys", { body: { name, role } }));
      setName("");
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section aria-labelledby="create-key-title" class="card">
      <h2 id="create-key-title">Create a key</h2>
      <form onSubmit={(e) => void submit(e)}>
        <label for="key-name">Name</label>
        <input id="key-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} aria-describedby={error ? "key-error" : undefined} />
        <label for="key-role">Role</label>
        <select id="key-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <Refusal error={error} id="key-error" />
        <button type="submit" class="primary" id="key-create">
          Create
        </button>
      </form>
    </section>
  );
}

/** A secret shown once: in a read-only field with a copy button; it goes when dismissed. */
export function ShownOnce(props: { created: { token?: string; secret?: string; name?: string }; dismiss: () => void }): JSX.Element {
  const value = props.created.token ?? props.created.secret ?? "";
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("Copied.");
    } catch {
      setCopied("The browser did not allow copying: select the text and copy it.");
    }
  };
  return (
    <section aria-labelledby="once-title" class="card secret-once" id="shown-once">
      <h2 id="once-title">Copy it now: it is shown only once</h2>
      <label for="secret-value">{props.created.name ? `The new secret of ${props.created.name}` : "The new secret"}</label>
      <input id="secret-value" readOnly value={value} onFocus={(e) => e.currentTarget.select()} />
      <div class="actions">
        <button type="button" id="secret-copy" class="primary" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" id="secret-dismiss" onClick={props.dismiss}>
          I have stored it
        </button>
      </div>
      {copied && <p role="status">{copied}</p>}
    </section>
  );
}
