/**
 * A chart (MetricChart) as a standalone image. Its SVG takes the theme's colours from the page's
 * CSS classes, which a file opened on its own does not have, so the computed values of the
 * properties that change how SVG draws are copied onto each element.
 */
const STYLE_PROPS = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'stroke-opacity',
  'stroke-linecap',
  'stroke-linejoin',
  'opacity',
  'visibility',
  'display',
  'font-family',
  'font-size',
  'font-weight',
  'text-anchor',
  'dominant-baseline',
] as const;

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The chart's SVG as a file: computed styles inlined, explicit size, the page's panel background, a title. */
export function serializeChart(svg: SVGSVGElement, title: string): { text: string; width: number; height: number } {
  const box = svg.getBoundingClientRect();
  const width = Math.max(1, Math.round(box.width));
  const height = Math.max(1, Math.round(box.height));
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const originals = [svg, ...Array.from(svg.querySelectorAll('*'))];
  const copies = [clone, ...Array.from(clone.querySelectorAll('*'))];
  originals.forEach((el, i) => {
    const computed = getComputedStyle(el);
    const style = STYLE_PROPS.map((p) => `${p}:${computed.getPropertyValue(p)}`).join(';');
    copies[i].setAttribute('style', style);
    copies[i].removeAttribute('class');
  });
  clone.setAttribute('xmlns', SVG_NS);
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  clone.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const bg = document.createElementNS(SVG_NS, 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  // The text and grid colours come from the page's theme, so the background must too (dark mode).
  bg.setAttribute('fill', getComputedStyle(svg).getPropertyValue('--panel').trim() || '#ffffff');
  // The chart's own title (its accessible name on the page) gives way to the file's.
  clone.querySelector(':scope > title')?.remove();
  const t = document.createElementNS(SVG_NS, 'title');
  t.textContent = title;
  clone.insertBefore(bg, clone.firstChild);
  clone.insertBefore(t, clone.firstChild);
  return { text: new XMLSerializer().serializeToString(clone), width, height };
}

/** The serialized SVG drawn onto a canvas at `scale`× its size, as PNG bytes. */
export async function rasterizeSvg(svgText: string, width: number, height: number, scale = 2): Promise<Blob> {
  const img = new Image();
  // A data: URL (not a blob: URL) keeps the canvas untainted in every browser.
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText)}`;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser gives no 2D canvas to draw the PNG on');
  ctx.scale(scale, scale);
  ctx.drawImage(img, 0, 0, width, height);
  return new Promise((resolve, reject) => {
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas could not be encoded as PNG'))), 'image/png');
  });
}
