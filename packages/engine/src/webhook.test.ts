import { describe, expect, it } from 'vitest';
import { correlationTagMatches, webhookCorrelationTag } from './webhook.ts';

describe('webhook correlation tag', () => {
  const secret = 'whsec-unit-test-only';
  const nodeRun = '0b6f1c9e-2f4a-4d51-9a57-6f0f3e2a1b7c';

  it('matches only the node run and attempt it was made for, under the same secret', () => {
    const tag = webhookCorrelationTag(secret, nodeRun, 2);
    expect(tag).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(correlationTagMatches(secret, nodeRun, 2, tag)).toBe(true);
    // A signed body replayed to a URL naming another node run, another attempt, or with no tag: refused.
    expect(correlationTagMatches(secret, '1b6f1c9e-2f4a-4d51-9a57-6f0f3e2a1b7c', 2, tag)).toBe(false);
    expect(correlationTagMatches(secret, nodeRun, 3, tag)).toBe(false);
    expect(correlationTagMatches('another-secret', nodeRun, 2, tag)).toBe(false);
    expect(correlationTagMatches(secret, nodeRun, 2, undefined)).toBe(false);
    expect(correlationTagMatches(secret, nodeRun, 2, tag.slice(1))).toBe(false);
  });
});
