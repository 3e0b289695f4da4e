import { describe, expect, it } from 'vitest';
import { engineConfigFromEnv } from './config.ts';

const prices = (value: unknown) => engineConfigFromEnv({ DATA_DIR: '/tmp/pikflow-config-test', FREEPIK_PRICES: JSON.stringify(value) }).prices;

describe('FREEPIK_PRICES', () => {
  it('takes prices per request and per output megapixel, by service or node type', () => {
    expect(prices({ currency: 'EUR', perRequest: { 'freepik.mystic': 0.05 }, perMegapixel: { 'image-upscaler': 0.01 }, assumedMegapixels: 2 })).toEqual({
      currency: 'EUR',
      perRequest: { 'freepik.mystic': 0.05 },
      perMegapixel: { 'image-upscaler': 0.01 },
      assumedMegapixels: 2,
    });
    // Upscalers alone: no per-request table needed; the currency defaults to credits.
    expect(prices({ perMegapixel: { 'image-upscaler': 0.01 } })).toEqual({ currency: 'credits', perRequest: {}, perMegapixel: { 'image-upscaler': 0.01 } });
  });

  it('refuses tables that are not prices, naming the field', () => {
    expect(() => prices({ currency: 'EUR' })).toThrow(/perRequest/);
    expect(() => prices({ perRequest: {}, perMegapixel: { 'image-upscaler': -1 } })).toThrow(/perMegapixel/);
    expect(() => prices({ perRequest: {}, assumedMegapixels: 0 })).toThrow(/assumedMegapixels/);
    expect(() => engineConfigFromEnv({ DATA_DIR: '/tmp/x', FREEPIK_PRICES: '{not json' })).toThrow(/must be JSON/);
  });
});
