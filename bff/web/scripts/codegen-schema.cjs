// The workstation subgraph SDL as GraphQL Code Generator's schema. The federation directives it
// uses (@link, @key, @shareable) are not defined in the file itself, so it is built with
// assumeValidSDL exactly as tests/contract.test.ts and the mock platform build it.
const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');
const { buildASTSchema, parse } = require('graphql');

const SDL = resolve(__dirname, '../../../schemas/graphql/workstation.graphql');
module.exports = buildASTSchema(parse(readFileSync(SDL, 'utf8')), { assumeValidSDL: true });
