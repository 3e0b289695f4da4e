import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { inlineParams } from './batched-transaction.ts';

// pg's own escaping, without a connection.
const client = { escapeLiteral: (s: string) => pg.Client.prototype.escapeLiteral.call({}, s) };

describe('inlineParams', () => {
  it('escapes strings so a value can never end its literal', () => {
    const sql = inlineParams(client, 'SELECT $1', ["it's'; DROP TABLE runs; --"]);
    expect(sql).toBe(`SELECT 'it''s''; DROP TABLE runs; --'`);
  });

  it('escapes backslashes with an E-string', () => {
    expect(inlineParams(client, 'SELECT $1', ['a\\b'])).toBe(`SELECT  E'a\\\\b'`);
  });

  it('tells $1 from $10 and never re-reads what it inlined', () => {
    const values = ['$2', 'b', 3, 4, 5, 6, 7, 8, 9, 'ten'];
    expect(inlineParams(client, 'SELECT $10, $1, $2', values)).toBe(`SELECT 'ten', '$2', 'b'`);
  });

  it('writes numbers, booleans, null and JSON; negative numbers cannot form a comment', () => {
    expect(inlineParams(client, 'SELECT x -$1, $2, $3, $4::jsonb', [-5, true, null, { a: "o'k" }])).toBe(
      `SELECT x -(-5), TRUE, NULL, '{"a":"o''k"}'::jsonb`,
    );
  });

  it('refuses values SQL cannot hold', () => {
    expect(() => inlineParams(client, 'SELECT $1', [Number.NaN])).toThrow(/cannot inline/);
  });
});
