import { createTheme, type MantineProviderProps } from '@mantine/core';

/**
 * Mantine's settings for Wharf. The gateway's Content-Security-Policy allows no inline <style>
 * elements, so Mantine injects none: its CSS variables and classes come from @mantine/core/styles.css
 * (the default theme's values), and responsive layout is in src/styles.css rather than in
 * responsive style props (which Mantine would render as <style> elements).
 */
export const theme: Omit<MantineProviderProps, 'children'> = {
  theme: createTheme({}),
  defaultColorScheme: 'light',
  withCssVariables: false,
  withGlobalClasses: false,
};
