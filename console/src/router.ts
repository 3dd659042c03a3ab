// Client routes live under /app/; the server answers every one of them with index.html.
import { useEffect, useState } from "preact/hooks";

export const BASE = "/app";

function current(): string {
  const path = window.location.pathname;
  const inside = path.startsWith(BASE) ? path.slice(BASE.length) : path;
  return inside === "" ? "/" : inside;
}

const listeners = new Set<() => void>();
window.addEventListener("popstate", () => listeners.forEach((notify) => notify()));

export function navigate(to: string): void {
  window.history.pushState(null, "", BASE + to);
  listeners.forEach((notify) => notify());
}

/** Drop the URL's fragment (a one-time token rides there) without a new history entry. */
export function forgetFragment(): void {
  window.history.replaceState(null, "", window.location.pathname);
}

export function useRoute(): string {
  const [path, setPath] = useState(current);
  useEffect(() => {
    const notify = () => setPath(current());
    listeners.add(notify);
    return () => {
      listeners.delete(notify);
    };
  }, []);
  return path;
}

/** `/campaigns/:id` against `/campaigns/abc` → { id: "abc" }, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const found: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const value = got[i] ?? "";
    if (part.startsWith(":")) found[part.slice(1)] = decodeURIComponent(value);
    else if (part !== value) return null;
  }
  return found;
}
