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
  writeContacts: (role: string | null) => atLeast(role, "member"),
  manageIntegrations: (role: string | null) => atLeast(role, "admin"),
  manageMembers: (role: string | null) => atLeast(role, "admin"),
};
