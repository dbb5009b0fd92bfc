import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';

import * as q from '@/lib/queries';
import * as session from '@/lib/session';

// The gateway's SDL, exported by the Rust side (schemas/ is the single source of truth).
const sdlPath = fileURLToPath(new URL('../../schemas/graphql/schema.graphql', import.meta.url));
const schema = buildSchema(readFileSync(sdlPath, 'utf8'));

const documents = Object.entries({ ...q, ...session }).filter(([, v]) => typeof v === 'string' && /^\s*(query|subscription|mutation)\b/.test(v)) as [
  string,
  string,
][];

describe('GraphQL documents', () => {
  it('are all found', () => {
    expect(documents.length).toBeGreaterThanOrEqual(10);
  });

  for (const [name, doc] of documents) {
    it(`${name} is valid against schemas/graphql/schema.graphql`, () => {
      const errors = validate(schema, parse(doc));
      expect(errors.map((e) => e.message)).toEqual([]);
    });
  }
});
