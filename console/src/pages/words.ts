// The gates' reason codes in words, for refusals and outcomes a person reads. An unknown code is
// shown as it is, so a new reason is never hidden.
const REASONS: Record<string, string> = {
  tenant_not_active: "the tenant is not active",
  billing_not_in_good_standing: "billing is not in good standing",
  campaign_not_running: "the campaign is not running",
  campaign_not_approved: "the campaign is not approved",
  campaign_paused: "the campaign is paused",
  window_closed: "the campaign's end date has passed",
  no_campaign: "no approved campaign reached this person, so there is nothing to answer under",
  contact_deleted: "the contact was deleted",
  consent_missing: "no consent evidence covers this channel",
  consent_not_written: "the campaign needs prior express written consent, and there is none",
  suppressed: "the number is on the suppression list",
  held_for_review: "a reply from this person is held for review: an owner or admin decides first",
  dnc_listed: "the number is on the Do-Not-Call registry",
  dnc_number_error: "the Do-Not-Call source could not answer for this number",
  dnc_source_failed: "the Do-Not-Call source failed",
  dnc_unscrubbed: "the number has not been checked against Do-Not-Call",
  dnc_data_stale: "the Do-Not-Call data is older than 31 days",
  state_dnc_listed: "the number is on a state's Do-Not-Call list",
  state_dnc_missing: "a state's Do-Not-Call list gave no answer",
  state_dnc_stale: "a state's Do-Not-Call answer is older than 31 days",
  zone_unknown: "the person's time zone is unknown",
  zone_invalid: "the person's time zone is not valid",
  no_window: "the campaign has no sending window today",
  federal_hours: "it is outside the federal calling hours (8 am to 9 pm local time)",
  state_hours: "it is outside the state's calling hours",
  state_automated_hours: "it is outside the state's hours for automated texts and calls",
  state_banned_day: "the state allows no attempt today",
  state_holiday: "today is a holiday in the person's state",
  campaign_window: "it is outside the campaign's sending window",
  state_attempt_cap: "the state's limit on attempts is reached",
  hung_up_on_recorded_call: "the person hung up on a recorded call, and their state bars calling them again by one",
  provider_credentials_unavailable: "the Twilio credentials are not available: reconnect the integration",
  send_failed: "the provider refused the text",
};

export function reasonInWords(code: string | null | undefined): string {
  if (!code) return "";
  return REASONS[code] ?? code.replace(/_/g, " ");
}
