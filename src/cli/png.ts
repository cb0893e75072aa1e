/**
 * SVG to PNG with resvg (a Rust renderer shipped as prebuilt binaries). Loaded on demand and
 * optional: where its binary is missing for this platform, the suite writes SVG only.
 */
export async function svgToPng(svg: string): Promise<Uint8Array | null> {
  let Resvg: typeof import('@resvg/resvg-js').Resvg;
  try {
    ({ Resvg } = await import('@resvg/resvg-js'));
  } catch {
    return null;
  }
  // System fonts for the labels; sans-serif falls back to whatever the machine has (DejaVu on Debian).
  const r = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' });
  return r.render().asPng();
}
