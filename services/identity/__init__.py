"""Identity service: the embedded OpenID Connect provider (Authlib grants, joserfc tokens)."""
