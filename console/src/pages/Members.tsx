// Members and invitations. Everyone sees who is in the tenant; owners and admins invite by e-mail
// with a role, change roles and remove members, each change confirmed first.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { Confirmed, FieldRefusal, FormRefusal, describedBy } from "../forms";
import { can } from "../roles";
import { useSession } from "../session";
import { Refusal, useLoad, when } from "../ui";

type Role = Schemas["Role"];
type Member = Schemas["MemberOut"];

const ROLES: Array<[Role, string]> = [
  ["viewer", "Viewer — reads campaigns and contacts"],
  ["member", "Member — imports contacts, drafts campaigns"],
  ["admin", "Admin — approves and starts campaigns, manages members and integrations"],
  ["owner", "Owner — everything, billing and the security policy too"],
];

export function Members(): JSX.Element {
  const { me } = useSession();
  const members = useLoad(() => api.get("/members", { query: { limit: 100 } }), []);
  const manage = can.manageMembers(me.role);
  return (
    <main id="main">
      <h1>Members</h1>
      <Refusal error={members.error} />
      {members.data && (
        <table id="members">
          <caption class="visually-hidden">Members of this tenant</caption>
          <thead>
            <tr>
              <th scope="col">E-mail</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
              {manage && <th scope="col">Change</th>}
            </tr>
          </thead>
          <tbody>
            {members.data.items.map((member) => (
              <tr key={member.user_id} data-email={member.email}>
                <th scope="row">{member.email}</th>
                <td class="member-role">{member.role}</td>
                <td>{when(member.joined_at)}</td>
                {manage && (
                  <td>
                    {member.user_id === me.user_id ? (
                      <span class="quiet">you</span>
                    ) : (
                      <MemberChanges member={member} changed={members.reload} />
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {manage && <Invitations joined={members.reload} />}
    </main>
  );
}

function MemberChanges(props: { member: Member; changed: () => void }): JSX.Element {
  const { member } = props;
  const [role, setRole] = useState<Role>(member.role);
  const key = member.user_id;
  return (
    <div class="actions">
      <span class="action">
        <label for={`role-${key}`} class="visually-hidden">
          New role for {member.email}
        </label>
        <select id={`role-${key}`} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {ROLES.map(([value]) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </span>
      {role !== member.role && (
        <Confirmed
          id={`change-role-${key}`}
          label="Change role"
          question={`Make ${member.email} ${role === "admin" || role === "owner" ? "an" : "a"} ${role} (now ${member.role})?`}
          confirm={`Yes, make them ${role}`}
          run={() => api.patch("/members/{user_id}", { path: { user_id: key }, body: { role } })}
          done={props.changed}
        />
      )}
      <Confirmed
        id={`remove-${key}`}
        label="Remove"
        question={`Remove ${member.email} from this tenant? Their sessions here end and they can no longer sign in to it.`}
        confirm="Yes, remove"
        run={() => api.delete("/members/{user_id}", { path: { user_id: key } })}
        done={props.changed}
      />
    </div>
  );
}

function Invitations(props: { joined: () => void }): JSX.Element {
  const invitations = useLoad(() => api.get("/invitations", { query: { limit: 100 } }), []);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSent(null);
    try {
      const invited = await api.post("/invitations", { body: { email: email.trim(), role } });
      setSent(invited.email);
      setEmail("");
      invitations.reload();
      props.joined();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="invite-title" class="card">
      <h2 id="invite-title">Invitations</h2>
      <form onSubmit={submit} noValidate id="invite-form">
        <label for="invite-email">E-mail address</label>
        <input
          id="invite-email"
          type="email"
          autocomplete="off"
          value={email}
          aria-describedby={describedBy(error, "email", "invite-")}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        <FieldRefusal error={error} field="email" prefix="invite-" />
        <label for="invite-role">Role</label>
        <select id="invite-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {ROLES.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        <FieldRefusal error={error} field="role" prefix="invite-" />
        <FormRefusal error={error} fields={["email", "role"]} id="invite-error" />
        <button type="submit" class="primary" disabled={busy} id="invite">
          Send the invitation
        </button>
      </form>
      {sent && (
        <p role="status" id="invitation-sent">
          An invitation link is on its way to {sent}. It works once.
        </p>
      )}
      <p class="hint">
        On the local runtime no mail leaves the machine: the invitation link is in the mail outbox that{" "}
        <code>make run</code> prints (and writes to <code>.local/gatehouse-local/outbox.jsonl</code>). Whoever opens it
        accepts, then signs in with the invited address.
      </p>
      <Refusal error={invitations.error} />
      {invitations.data && invitations.data.items.length > 0 && (
        <table id="invitations">
          <caption>Sent invitations</caption>
          <thead>
            <tr>
              <th scope="col">E-mail</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Expires</th>
              <th scope="col">Revoke</th>
            </tr>
          </thead>
          <tbody>
            {invitations.data.items.map((invitation) => (
              <tr key={invitation.invitation_id}>
                <th scope="row">{invitation.email}</th>
                <td>{invitation.role}</td>
                <td class="invitation-status">{invitation.status}</td>
                <td>{when(invitation.expires_at)}</td>
                <td>
                  {invitation.status === "pending" && (
                    <Confirmed
                      id={`revoke-${invitation.invitation_id}`}
                      label="Revoke"
                      question={`Revoke the invitation to ${invitation.email}? Its link stops working.`}
                      confirm="Yes, revoke"
                      run={() =>
                        api.delete("/invitations/{invitation_id}", {
                          path: { invitation_id: invitation.invitation_id },
                        })
                      }
                      done={invitations.reload}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
