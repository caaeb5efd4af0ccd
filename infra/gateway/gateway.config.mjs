// GraphQL Hive Gateway in front of Orion's BFF subgraphs (see docs/adr/0004-*.md).
// Environment: ORION_BFF_URL (where the subgraphs are served), ORION_SUPERGRAPH (composed SDL),
// ORION_PROFILE (prod turns introspection off), ORION_BFF_MAX_DEPTH / ORION_BFF_MAX_TOKENS.
import { defineConfig } from "@graphql-hive/gateway";

const bff = (process.env.ORION_BFF_URL ?? "http://127.0.0.1:8000").replace(/\/$/, "");
const prod = process.env.ORION_PROFILE === "prod";

// Queries and entity fetches go over HTTP; subscriptions over graphql-transport-ws, one upstream
// socket per distinct access token (the transport caches executors by connection params).
const subgraph = (name) => ({
  location: `${bff}/graphql/${name}`,
  options: {
    subscriptions: {
      kind: "ws",
      location: `${bff}/graphql/${name}`,
      options: {
        connectionParams: { Authorization: "{context.connectionParams.Authorization}" },
      },
    },
  },
});

export const gatewayConfig = defineConfig({
  supergraph: process.env.ORION_SUPERGRAPH ?? "../../schemas/graphql/supergraph.graphql",
  transportEntries: {
    workstation: subgraph("workstation"),
    admin: subgraph("admin"),
    analytics: subgraph("analytics"),
  },
  // Subgraph limits only see what the gateway forwards: apply the same ones here.
  maxDepth: Number(process.env.ORION_BFF_MAX_DEPTH ?? 10),
  maxTokens: Number(process.env.ORION_BFF_MAX_TOKENS ?? 2000),
  blockFieldSuggestions: prod,
  disableIntrospection: prod,
  graphiql: !prod,
  // One correlation id per client request, the client's X-Correlation-Id or a fresh UUID: sent on
  // every subgraph fetch of the plan, logged by the gateway and returned in the response header.
  requestId: { headerName: "x-correlation-id" },
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      return { authorization: request.headers.get("authorization") };
    },
  },
});
