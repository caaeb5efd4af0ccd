/** What the UI needs from authentication, whether OIDC or the demo's fake user. */
export interface AuthView {
  userName: string | null;
  login(): void;
  logout(): void;
}
