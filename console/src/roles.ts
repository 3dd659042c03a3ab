// Which controls a role is shown. The API decides every request itself (gatehouse.identity.permissions);
// this only keeps a person from being offered what the API would refuse them.
export type Role = "viewer" | "member" | "admin" | "owner";
const RANK: Record<Role, number> = { viewer: 1, member: 2, admin: 3, owner: 4 };

function atLeast(role: string | null, least: Role): boolean {
  return role !== null && role in RANK && RANK[role as Role] >= RANK[least];
}

export const can = {
  writeCampaigns: (role: string | null) => atLeast(role, "member"),
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
