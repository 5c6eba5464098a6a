import { Badge } from '@mantine/core';
import type { AppTag } from '../api/client';

/** Black or white, whichever reads better on the colour (WCAG relative luminance). */
export function textColorOn(hex: string): '#000000' | '#ffffff' {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return '#000000';
  const [r, g, b] = m.slice(1).map((h) => {
    const c = parseInt(h, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // contrast with black (l + 0.05) / 0.05 against contrast with white 1.05 / (l + 0.05)
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
}

/** A tag in its admin-chosen colour. */
export function TagBadge({ tag }: { tag: Pick<AppTag, 'name' | 'title' | 'color'> }) {
  return (
    <Badge variant="filled" radius="sm" tt="none" style={{ backgroundColor: tag.color, color: textColorOn(tag.color) }} data-tag={tag.name}>
      {tag.title}
    </Badge>
  );
}
