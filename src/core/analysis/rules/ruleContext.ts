// What every rule receives: the file model plus helpers to make diagnostics from spans.
import type { SyntaxNode } from '../syntaxTree';
import { diagnosticCodes } from '../diagnostic';
import type { AnalysisDiagnostic, DiagnosticCode, QuickFix, RelatedInfo } from '../diagnostic';
import type { FileModel, FunctionInfo, MapInfo, Span } from '../fileModel';

export class RuleContext {
  readonly out: AnalysisDiagnostic[] = [];
  /** Functions reachable from XDP programs (the programs plus static functions they call). */
  readonly xdpReachable: ReadonlySet<string>;

  constructor(readonly model: FileModel) {
    const reach = new Set(model.programs.filter((p) => p.xdp).map((p) => p.name));
    const names = new Set(model.functions.map((f) => f.name));
    let grew = true;
    while (grew) {
      grew = false;
      for (const [callee, sites] of model.localCalls) {
        if (!names.has(callee) || reach.has(callee)) continue;
        if (sites.some((s) => s.from !== undefined && reach.has(s.from))) {
          reach.add(callee);
          grew = true;
        }
      }
    }
    this.xdpReachable = reach;
  }

  range(span: Span) {
    return this.model.lines.range(span.start, span.end);
  }

  nodeRange(n: SyntaxNode) {
    return this.model.lines.range(n.startIndex, n.endIndex);
  }

  report(
    code: DiagnosticCode,
    span: Span,
    message: string,
    extra: { fixes?: QuickFix[]; related?: RelatedInfo[] } = {},
  ): void {
    this.out.push({
      code,
      severity: diagnosticCodes[code].severity,
      message,
      range: this.range(span),
      ...extra,
    });
  }

  /** The map a `&name` / `name` argument refers to. */
  mapOfArg(arg: SyntaxNode | undefined): MapInfo | undefined {
    if (!arg) return undefined;
    let n: SyntaxNode | null = arg;
    while (
      n &&
      (n.type === 'pointer_expression' ||
        n.type === 'parenthesized_expression' ||
        n.type === 'cast_expression')
    )
      n =
        n.type === 'cast_expression'
          ? n.childForFieldName('value')
          : n.type === 'pointer_expression'
            ? n.childForFieldName('argument')
            : (n.namedChildren[0] ?? null);
    if (n?.type !== 'identifier') return undefined;
    // The name read once, not per map (issue 16).
    const name = n.text;
    return this.model.maps.find((m) => m.name === name);
  }

  functionAt(offset: number): FunctionInfo | undefined {
    return this.model.functions.find((f) => f.span.start <= offset && offset < f.span.end);
  }
}
