/** What the UI needs from authentication, whether OIDC or the demo's fake user. */
export interface AuthView {
  userName: string | null;
  /** Stable per (tenant, user): keys this browser's copy of the user's preferences. */
  userKey?: string;
  login(): void;
  logout(): void;
}
