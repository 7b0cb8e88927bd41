// Exports of the graph: a standalone SVG (the panel's own tree with the theme's colours resolved
// into an embedded stylesheet, so the file looks the same outside VS Code) and a PNG drawn from it.
import type { Graph } from './graphModel';
import { graphView } from './graphView';
import type { Layout } from './layout';
import { toXml } from './vnode';

/** The panel's graph rules with every var(--…) replaced by its current value. */
export function resolvedGraphCss(doc: Document): string {
  const style = doc.defaultView?.getComputedStyle(doc.body);
  const rules: string[] = [];
  for (const sheet of Array.from(doc.styleSheets)) {
    let list: CSSRuleList;
    try {
      list = sheet.cssRules;
    } catch {
      continue;
    }
    for (const r of Array.from(list)) {
      if (r instanceof CSSStyleRule && /(^|[\s,])\.(graph|node|edge|arrow)/.test(r.selectorText))
        rules.push(r.cssText);
    }
  }
  const bg = style?.getPropertyValue('--vscode-editor-background').trim() || '#1e1e1e';
  const fg = style?.getPropertyValue('--vscode-editor-foreground').trim() || '#cccccc';
  const font = style?.getPropertyValue('--vscode-font-family').trim() || 'sans-serif';
  // var(--name, fallback) → the computed value of --name, else the fallback.
  const resolve = (css: string): string =>
    css.replace(
      /var\((--[\w-]+)(?:\s*,\s*([^()]*(?:\([^()]*\))?[^()]*))?\)/g,
      (_m, name: string, fallback?: string) => {
        const v = style?.getPropertyValue(name).trim();
        return v || (fallback ? resolve(fallback.trim()) : 'currentColor');
      },
    );
  return (
    `svg{background:${bg};color:${fg};font-family:${font};font-size:12px}\n` + rules.map(resolve).join('\n')
  );
}

export function graphSvgText(graph: Graph, layout: Layout, css: string): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + toXml(graphView(graph, layout, { embeddedStyle: css }));
}

/** Rasterizes the SVG at `scale` (2 = crisp on high-DPI screens) and returns base64 PNG bytes. */
export async function svgToPngBase64(
  svgText: string,
  width: number,
  height: number,
  scale = 2,
): Promise<string> {
  const blob = new Blob([svgText], { type: 'image/svg+xml' });
  const url = URL.createObjectURL(blob);
  try {
    const img = new Image();
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('the SVG could not be rasterized'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(width * scale);
    canvas.height = Math.ceil(height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas');
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0, width, height);
    const dataUrl = canvas.toDataURL('image/png');
    return dataUrl.slice(dataUrl.indexOf(',') + 1);
  } finally {
    URL.revokeObjectURL(url);
  }
}
