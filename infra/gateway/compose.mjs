// Composes the BFF subgraph SDLs into a supergraph with @theguild/federation-composition.
// Input (stdin): JSON [{"name": ..., "url": ..., "sdl": ...}]. Output (stdout): supergraph SDL.
// Exit 1 with the composition errors on stderr when the subgraphs do not compose.
import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const subgraphs = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const result = composeServices(
  subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })),
);
if (result.errors && result.errors.length > 0) {
  for (const error of result.errors) console.error(`composition error: ${error.message}`);
  process.exit(1);
}
process.stdout.write(result.supergraphSdl);
