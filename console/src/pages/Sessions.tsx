// Your sessions in every tenant: see them, end one, or sign out everywhere (this one included).
import type { JSX } from "preact";
import { api } from "../api/client";
import { useSession } from "../session";
import { Action, Refusal, useLoad, when } from "../ui";
import { SettingsNav } from "./SettingsNav";

export function Sessions(): JSX.Element {
  const { me, refresh } = useSession();
  const sessions = useLoad(() => api.get("/sessions"), []);
  return (
    <main id="main">
      <SettingsNav role={me.role} />
      <h1>Your sessions</h1>
      <Refusal error={sessions.error} />
      <table id="sessions">
        <caption class="visually-hidden">Your sessions, in every tenant</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Last seen</th>
            <th scope="col">Expires</th>
            <th scope="col">This browser</th>
            <th scope="col">End</th>
          </tr>
        </thead>
        <tbody>
          {(sessions.data?.items ?? []).map((s) => (
            <tr key={s.session_id}>
              <td>{when(s.created_at)}</td>
              <td>{when(s.last_seen_at)}</td>
              <td>{when(s.expires_at)}</td>
              <td>{s.current ? "yes" : ""}</td>
              <td>
                {!s.current && (
                  <Action
                    id={`end-${s.session_id}`}
                    label="End this session"
                    run={() => api.delete("/sessions/{session_id}", { path: { session_id: s.session_id } })}
                    done={sessions.reload}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <section aria-labelledby="everywhere-title" class="card">
        <h2 id="everywhere-title">Sign out everywhere</h2>
        <p>Ends every session you have, in every tenant and browser, this one included.</p>
        <Action id="sign-out-everywhere" label="Sign out everywhere" kind="danger" run={() => api.delete("/sessions")} done={refresh} />
      </section>
    </main>
  );
}
