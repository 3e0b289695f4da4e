import { describe, expect, it } from 'vitest';
import { QuotaPolicy, quotaConfigFromEnv, serviceOf } from './quota-table.ts';

describe('quota table', () => {
  it("holds the seed's numbers per plan, and the catalog's concurrency", () => {
    const premium = new QuotaPolicy({ plan: 'premium' });
    const free = new QuotaPolicy({ plan: 'free' });
    expect(serviceOf('freepik.upscaler-precision-v2')).toBe('image-upscaler');
    expect(premium.limits('image-upscaler').perDay).toBe(1_250);
    expect(free.limits('image-upscaler').perDay).toBeNull(); // N/A: not on the Free plan
    expect(premium.limits('mystic').perDay).toBe(6_000);
    expect(free.limits('kling-v2')).toMatchObject({ perDay: 5, concurrent: 3 });
    expect(premium.limits('kling-v2').perDay).toBe(288);
    expect(premium.keyWindows).toEqual([
      { limit: 250, windowMs: 5_000 },
      { limit: 1_200, windowMs: 120_000 },
    ]);
    // No documented daily limit: its own service, nothing but the key windows.
    expect(serviceOf('freepik.gemini-2-5-flash')).toBe('freepik.gemini-2-5-flash');
    expect(premium.limits('freepik.gemini-2-5-flash').perDay).toBeUndefined();
  });

  it('plan none enforces only documented concurrency; overrides win', () => {
    const none = new QuotaPolicy({ plan: 'none', overrides: { 'image-upscaler': { perSecond: 5, perDay: 10 }, 'kling-v2': { concurrent: null } } });
    expect(none.keyWindows).toEqual([]);
    expect(none.limits('image-upscaler')).toMatchObject({ perDay: 10, windows: [{ limit: 5, windowMs: 1_000 }] });
    expect(none.limits('kling-v2').concurrent).toBeUndefined();
    expect(none.enforced(none.limits('freepik.gemini-2-5-flash'))).toBe(false);
    expect(none.enforced(new QuotaPolicy({ plan: 'none' }).limits('kling-v2'))).toBe(true);
  });

  it('reads FREEPIK_PLAN and FREEPIK_QUOTAS, refusing nonsense', () => {
    expect(quotaConfigFromEnv({}, 'freepik').plan).toBe('premium');
    expect(quotaConfigFromEnv({}, 'simulator').plan).toBe('none');
    expect(quotaConfigFromEnv({ FREEPIK_PLAN: 'Free', FREEPIK_QUOTAS: '{"image-upscaler":{"perSecond":5}}' }, 'freepik')).toEqual({
      plan: 'free',
      overrides: { 'image-upscaler': { perSecond: 5 } },
    });
    expect(() => quotaConfigFromEnv({ FREEPIK_PLAN: 'gold' }, 'freepik')).toThrow(/FREEPIK_PLAN/);
    expect(() => quotaConfigFromEnv({ FREEPIK_QUOTAS: '{"x":{"perDay":-1}}' }, 'freepik')).toThrow(/perDay/);
    expect(() => quotaConfigFromEnv({ FREEPIK_QUOTAS: 'nope' }, 'freepik')).toThrow(/JSON/);
  });
});
