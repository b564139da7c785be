/**
 * The page's theme for canvas charts: CSS cannot restyle a canvas, so charts read their colours from the page's custom
 * properties when drawn and are rebuilt when the colour scheme changes.
 */
const scheme = $state({ changes: 0 });
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => scheme.changes++);

/** How often the colour scheme has changed: read it in an effect to rebuild a chart on every change. */
export function colourSchemeChanges(): number {
  return scheme.changes;
}

/** A colour for a canvas: `var(--name)` becomes the value of that custom property at `element`; others pass through. */
export function canvasColour(colour: string, element: Element = document.documentElement): string {
  const property = /^var\((--[\w-]+)\)$/.exec(colour)?.[1];
  return property ? getComputedStyle(element).getPropertyValue(property).trim() : colour;
}
