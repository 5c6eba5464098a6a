import { createTheme, Loader, Modal, type MantineProviderProps } from '@mantine/core';

/**
 * Mantine's settings for Wharf. The gateway's Content-Security-Policy allows no inline <style>
 * elements, so Mantine injects none: its CSS variables and classes come from @mantine/core/styles.css
 * (the default theme's values; src/styles.css darkens a few for contrast), and responsive layout is
 * in src/styles.css rather than in responsive style props (which Mantine would render as <style>).
 */
export const theme: Omit<MantineProviderProps, 'children'> = {
  theme: createTheme({
    components: {
      // a loader is a live status, which is what lets it carry a name (aria-label) for screen readers
      Loader: Loader.extend({ defaultProps: { role: 'status' } }),
      // every dialog: a named close button (axe button-name), and no scroll lock (it injects a
      // <style> element, which the CSP refuses)
      Modal: Modal.extend({ defaultProps: { lockScroll: false, closeButtonProps: { 'aria-label': 'Close' } } }),
    },
  }),
  defaultColorScheme: 'light',
  withCssVariables: false,
  withGlobalClasses: false,
};
