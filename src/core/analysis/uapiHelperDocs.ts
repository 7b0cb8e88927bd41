// Splits the helper documentation comment of the uapi header (/usr/include/linux/bpf.h) into one text
// per helper. The server shows it in hovers, saying where it came from (issue #5: we never copy the
// kernel's prose into our sources; we read the user's installed header at run time).

export interface HelperDoc {
  readonly prototype: string;
  readonly description: string;
  readonly returns: string;
}

export function parseUapiHelperDocs(header: string): Map<string, HelperDoc> {
  const docs = new Map<string, HelperDoc>();
  const start = header.indexOf('Start of BPF helper function descriptions:');
  if (start < 0) return docs;
  const end = header.indexOf('*/', start);
  const lines = header
    .slice(start, end < 0 ? undefined : end)
    .split('\n')
    .map((l) => l.replace(/^ \*( |\t)?/, ''));
  let cur:
    | { name: string; prototype: string; desc: string[]; ret: string[]; section: 'desc' | 'ret' | '' }
    | undefined;
  const flush = () => {
    if (cur)
      docs.set(cur.name, { prototype: cur.prototype, description: tidy(cur.desc), returns: tidy(cur.ret) });
  };
  for (const l of lines) {
    const proto = /^((?:const )?(?:struct )?\w+ \**)(bpf_\w+)\(.*\)$/.exec(l);
    if (proto && !l.startsWith('\t')) {
      flush();
      cur = { name: proto[2] ?? '', prototype: l, desc: [], ret: [], section: '' };
      continue;
    }
    if (!cur) continue;
    if (/^\tDescription\s*$/.test(l)) cur.section = 'desc';
    else if (/^\tReturn\s*$/.test(l)) cur.section = 'ret';
    else if (cur.section === 'desc') cur.desc.push(l.replace(/^\t\t?/, ''));
    else if (cur.section === 'ret') cur.ret.push(l.replace(/^\t\t?/, ''));
  }
  flush();
  return docs;
}

/** RST-ish emphasis of the header (**X**, *x*, \ ()) to Markdown. */
function tidy(lines: string[]): string {
  return lines
    .join('\n')
    .replace(/\\ \(\)/g, '()')
    .replace(/\\\//g, '/')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
