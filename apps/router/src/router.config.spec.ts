import { ConfigError } from '@wharf/config';
import { loadRouterSettings, routerV8Flags } from './router.config';

const SECRET = { WHARF_PLATFORM_INTERNAL_SECRET: 'router-spec-internal-secret-0123456' };

describe('[Router] HeapGrowingPercent', () => {
  it('gives V8 200 % of headroom by default, and nothing of its own at 0', () => {
    const { router } = loadRouterSettings(SECRET);
    expect(router.HeapGrowingPercent).toBe(200);
    expect(routerV8Flags(router)).toEqual(['--heap-growing-percent=200']);
    const off = loadRouterSettings({ ...SECRET, WHARF_ROUTER_HEAP_GROWING_PERCENT: '0' }).router;
    expect(routerV8Flags(off)).toEqual([]);
    expect(routerV8Flags(loadRouterSettings({ ...SECRET, WHARF_ROUTER_HEAP_GROWING_PERCENT: '50' }).router)).toEqual(['--heap-growing-percent=50']);
  });

  it('refuses what V8 cannot take, naming the key', () => {
    for (const bad of ['-1', '1001', '12.5', 'lots']) {
      let problems = '';
      try {
        loadRouterSettings({ ...SECRET, WHARF_ROUTER_HEAP_GROWING_PERCENT: bad });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        problems = (e as ConfigError).problems.join('\n');
      }
      expect(problems).toMatch(/HeapGrowingPercent/);
    }
  });
});
