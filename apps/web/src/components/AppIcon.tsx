import { links, type AppVersion } from '../api/client';

/** The app's icon from its bundle, or its initial in a square (decorative: the title is next to it). */
export function AppIcon({ app, size = 48 }: { app: Pick<AppVersion, 'id' | 'title' | 'hasIcon'>; size?: number }) {
  if (app.hasIcon) return <img className="app-icon" src={links.icon(app)} alt="" width={size} height={size} loading="lazy" />;
  return (
    <span className="app-icon app-icon-letter" aria-hidden="true" style={{ width: size, height: size, fontSize: size / 2 }}>
      {app.title.trim().charAt(0).toUpperCase() || '?'}
    </span>
  );
}
