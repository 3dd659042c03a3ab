// Who is signed in, as GET /session says; null when nobody is (a 401). Nothing is stored in the
// browser but the cookies the API sets: the session cookie is HttpOnly and never read here.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { api, ApiError, type Schemas } from "./api/client";

export type Whoami = Schemas["Whoami"];

export async function loadSession(): Promise<Whoami | null> {
  try {
    return await api.get("/session");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export interface SessionState {
  me: Whoami;
  refresh: () => void;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (state === null) throw new Error("useSession outside a signed-in page");
  return state;
}

/** How the API names this person in records (Caller.actor): compared with submitted_by. */
export function actorOf(me: Whoami): string {
  return `user:${me.user_id}`;
}
