// The UI's GraphQL documents against the workstation subgraph SDL (schemas/graphql/workstation.graphql,
// generated from bff/workstation/**): every operation's root fields must exist there and every
// document must validate. `npm run codegen` checks the same when it generates the types (and
// `codegen:check` that they are fresh); this test checks the strings the UI actually sends.
// The mock platform (scripts/mock-platform.mjs) serves this same SDL.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildASTSchema, parse, validate, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import * as ops from '../src/api/operations';

const SDL = resolve(__dirname, '../../../schemas/graphql/workstation.graphql');

const documents: Array<[string, string]> = Object.entries(ops as Record<string, unknown>).flatMap(([name, value]) =>
  typeof value === 'string' && /^\s*(query|mutation|subscription)\b/.test(value) ? [[name, value] as [string, string]] : [],
);

describe('operations.ts against schemas/graphql/workstation.graphql', () => {
  const schema = buildASTSchema(parse(readFileSync(SDL, 'utf8')), { assumeValidSDL: true });

  it('parses every document', () => {
    expect(documents.length).toBeGreaterThanOrEqual(13);
    for (const [, text] of documents) expect(() => parse(text)).not.toThrow();
  });

  it('finds every root field of every operation in the subgraph', () => {
    const missing: string[] = [];
    for (const [name, text] of documents) {
      const op = parse(text).definitions[0] as OperationDefinitionNode;
      const root = op.operation === 'query' ? schema.getQueryType() : op.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
      for (const s of op.selectionSet.selections) {
        if (s.kind === 'Field' && !(root && s.name.value in root.getFields())) missing.push(`${name}: ${op.operation} ${s.name.value}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('validates every operation', () => {
    for (const [name, text] of documents) {
      expect(validate(schema, parse(text)).map((e) => `${name}: ${e.message}`)).toEqual([]);
    }
  });

  it('covers the RFQ lifecycle the ticket and blotters rely on', () => {
    const names = documents.map(([n]) => n);
    expect(names).toEqual(expect.arrayContaining([
      'INSTRUMENTS', 'ME', 'MARKET_SNAPSHOT', 'MARKET_DATA', 'CREATE_RFQ', 'ACCEPT_QUOTE', 'CANCEL_RFQ', 'RFQ', 'RFQS', 'TRADES', 'TRADE',
      'RFQ_UPDATES', 'BLOTTER_UPDATES',
    ]));
    // acceptQuote answers the RFQ (the trade follows the LP's last look); rfqs is a cursor page.
    expect(ops.ACCEPT_QUOTE).toMatch(/\.\.\. on Rfq \{\s*\.\.\.RfqFields/);
    expect(ops.RFQS).toMatch(/nodes \{[\s\S]*\}\s+endCursor\s+hasNextPage/);
    expect(ops.BLOTTER_UPDATES).toMatch(/blotterUpdates \{\s+kind\s/);
  });
});
