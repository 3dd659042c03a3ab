// Which controls a role is shown. The API decides every request itself (gatehouse.identity.permissions);
// this only keeps a person from being offered what the API would refuse them.
import { api } from "./api/client";
import { useLoad } from "./ui";

export type Role = "viewer" | "member" | "admin" | "owner";
const RANK: Record<Role, number> = { viewer: 1, member: 2, admin: 3, owner: 4 };

function atLeast(role: string | null, least: Role): boolean {
  return role !== null && role in RANK && RANK[role as Role] >= RANK[least];
}

export const can = {
  writeCampaigns: (role: string | null) => atLeast(role, "member"),
  // Where members are kept to their campaigns (conversation_access: assigned_campaigns), only admins
  // and owners create campaigns: a member's new campaign would be none of theirs.
  createCampaigns: (role: string | null, access: string | undefined) =>
    atLeast(role, "admin") || (atLeast(role, "member") && access === "all"),
  approveCampaigns: (role: string | null) => atLeast(role, "admin"),
  readAudit: (role: string | null) => atLeast(role, "admin"),
  reviewOptouts: (role: string | null) => atLeast(role, "admin"),
  manageIntegrations: (role: string | null) => atLeast(role, "admin"),
  manageMembers: (role: string | null) => atLeast(role, "admin"),
  // Contacts, calls and the inbox (personal data: not for viewers beyond the contact itself).
  writeContacts: (role: string | null) => atLeast(role, "member"),
  // Where members are kept to their campaigns' contacts (conversation_access: assigned_campaigns),
  // only admins and owners import contact files: an import's rows update any of the tenant's contacts.
  importContacts: (role: string | null, access: string | undefined) =>
    atLeast(role, "admin") || (atLeast(role, "member") && access === "all"),
  exportContacts: (role: string | null) => atLeast(role, "admin"),
  eraseContacts: (role: string | null) => atLeast(role, "admin"),
  readCalls: (role: string | null) => atLeast(role, "member"),
  readConversations: (role: string | null) => atLeast(role, "member"),
  assignConversations: (role: string | null) => atLeast(role, "admin"),
  addSuppression: (role: string | null) => atLeast(role, "member"),
  liftSuppression: (role: string | null) => atLeast(role, "owner"),
  // Keys, settings, event endpoints (integrations:manage), and the owner's policies and billing.
  manageApiKeys: (role: string | null) => atLeast(role, "admin"),
  manageSettings: (role: string | null) => atLeast(role, "admin"),
  managePolicies: (role: string | null) => atLeast(role, "owner"),
  manageBilling: (role: string | null) => atLeast(role, "owner"),
};

/** A rule of `can` that depends on the tenant's access policy, for this person (undefined while a member's loads). */
export function useAllowedByAccess(
  role: string | null,
  rule: (role: string | null, access: string | undefined) => boolean,
): boolean | undefined {
  const member = role === "member";
  const policy = useLoad(() => (member ? api.get("/access-policy") : Promise.resolve(null)), [member]);
  if (!member) return rule(role, undefined);
  return policy.data ? rule(role, policy.data.conversation_access) : undefined;
}
