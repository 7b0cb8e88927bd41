// The README the .vsix carries (npm run package → vsce --readme-path dist/README.md): README.md with
// its media/*.png images inlined as data: URIs. VS Code's extension page allows only https: and data:
// images (its webview CSP), so relative links never load there, and the .vsix must show its
// screenshots offline (issue 12 item 6). A real repository URL would let vsce rewrite them to https.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const text = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
let inlined = 0;
const out = text.replace(/!\[([^\]]*)\]\((media\/[\w./-]+\.png)\)/g, (_, alt, rel) => {
  const file = path.join(root, rel);
  if (!fs.existsSync(file)) throw new Error(`README.md links ${rel}, which does not exist`);
  inlined++;
  return `![${alt}](data:image/png;base64,${fs.readFileSync(file).toString('base64')})`;
});
fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
fs.writeFileSync(path.join(root, 'dist/README.md'), out);
console.log(`dist/README.md: ${inlined} image(s) inlined, ${Math.round(out.length / 1024)} KB`);
