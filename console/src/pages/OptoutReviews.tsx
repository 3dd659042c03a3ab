// Replies held for review: words that may revoke consent. Until an owner or admin decides, the
// number gets no attempt on any channel. Suppress (it was a revocation) or release with a reason.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { Link, Refusal, useLoad, when } from "../ui";

export function OptoutReviews(): JSX.Element {
  const held = useLoad(() => api.get("/optout-reviews", { query: { limit: 50 } }), []);
  const items = held.data?.items ?? [];
  return (
    <main id="main">
      <h1>Opt-out reviews</h1>
      <p class="hint">
        These replies might revoke consent. Their numbers get no attempt on any channel until you decide: suppress the number for good, or
        release the hold with a reason (any other suppression stands).
      </p>
      <Refusal error={held.error} id="reviews-error" />
      {held.data && items.length === 0 && (
        <p id="reviews-empty" class="quiet">
          No reply waits for a decision.
        </p>
      )}
      <ul class="choices" id="reviews">
        {items.map((item) => (
          <Held item={item} key={item.contact_id} decided={held.reload} />
        ))}
      </ul>
    </main>
  );
}

function Held(props: { item: Schemas["HeldTextView"]; decided: () => void }): JSX.Element {
  const { item } = props;
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(null);
  const path = { contact_id: item.contact_id };
  const decide = async (how: "suppress" | "release") => {
    setError(null);
    try {
      if (how === "suppress") await api.post("/optout-reviews/{contact_id}/suppress", { path });
      else await api.post("/optout-reviews/{contact_id}/release", { path, body: { reason } });
      props.decided();
    } catch (failure) {
      setError(failure);
    }
  };
  const reasonId = `release-reason-${item.contact_id}`;
  const errorId = `review-error-${item.contact_id}`;
  return (
    <li class="card review">
      <p>
        <Link to={`/contacts/${item.contact_id}`}>{item.contact_id}</Link> wrote {item.texts > 1 ? `${item.texts} texts` : "a text"}, held{" "}
        {when(item.held_at)}:
      </p>
      <blockquote class="body">{item.body ?? (item.call_id ? "(asked on a call)" : "(the text is past its retention window)")}</blockquote>
      <div class="actions">
        <button type="button" class="danger" id={`suppress-${item.contact_id}`} onClick={() => void decide("suppress")}>
          It was an opt-out: suppress
        </button>
        <span class="reject">
          <label for={reasonId}>Why it was not an opt-out</label>
          <input id={reasonId} value={reason} onInput={(e) => setReason(e.currentTarget.value)} aria-describedby={error ? errorId : undefined} />
          <button type="button" id={`release-${item.contact_id}`} onClick={() => void decide("release")}>
            Release the hold
          </button>
        </span>
      </div>
      <Refusal error={error} id={errorId} />
    </li>
  );
}
