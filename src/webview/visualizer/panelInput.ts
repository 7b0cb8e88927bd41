// The panel's input, bound once on its root by delegation: clicks on data-action elements, the
// timeline scrubber, the frame number, the speed select, the Traffic form, the keyboard (mapped to
// the same actions as the buttons), Ctrl+wheel zoom and the resize that may turn the graph around.
export interface InputHost {
  /** A data-action of a clicked element, or of a key (`el` absent). */
  act(action: string, el?: Element): void;
  /** The scrubber moved to event `t`. */
  scrub(t: number): void;
  /** A frame number was typed (a non-negative integer). */
  pickFrame(frame: number): void;
  setSpeed(eventsPerSecond: number): void;
  submit(form: HTMLFormElement): void;
  /** Arrow keys on the tab strip. */
  moveTab(forward: boolean): void;
  zoomBy(factor: number): void;
  /** The graph area changed size (debounced to the end of a drag). */
  resized(): void;
}

/** Keys outside text fields and buttons, and the action each does (a button's data-action, or its own). */
const keyActions: Readonly<Record<string, string>> = {
  ' ': 'play',
  ArrowRight: 'step',
  ArrowLeft: 'step-back',
  Home: 'first',
  End: 'last',
  '+': 'zoom-in',
  '=': 'zoom-in',
  '-': 'zoom-out',
  f: 'zoom-fit',
  Escape: 'deselect',
};

export function bindPanelInput(root: HTMLElement, graph: HTMLElement, host: InputHost): void {
  root.addEventListener('click', (e) => {
    const el = (e.target as Element).closest<HTMLElement | SVGElement>('[data-action]');
    if (el && el.tagName !== 'INPUT' && el.tagName !== 'SELECT' && el.tagName !== 'FORM')
      host.act(el.dataset.action ?? '', el);
  });
  root.addEventListener('input', (e) => {
    const el = e.target as HTMLInputElement;
    if (el.dataset.action === 'scrub') host.scrub(Number(el.value));
    else if (el.dataset.action === 'pick-frame') {
      const f = Number(el.value);
      if (Number.isInteger(f) && f >= 0) host.pickFrame(f);
    }
  });
  root.addEventListener('change', (e) => {
    const el = e.target as HTMLSelectElement;
    if (el.dataset.action === 'speed') host.setSpeed(Number(el.value) || 50);
  });
  root.addEventListener('submit', (e) => {
    e.preventDefault();
    host.submit(e.target as HTMLFormElement);
  });
  root.addEventListener('keydown', (e) => onKey(e, host));
  let resizeTimer: number | undefined;
  new ResizeObserver(() => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => host.resized(), 120);
  }).observe(graph);
  graph.addEventListener(
    'wheel',
    (e) => {
      if (!e.ctrlKey) return;
      e.preventDefault();
      host.zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15);
    },
    { passive: false },
  );
}

function onKey(e: KeyboardEvent, host: InputHost): void {
  const target = e.target as HTMLElement;
  const action = target.dataset?.action;
  if ((e.key === 'Enter' || e.key === ' ') && action === 'select-node') {
    e.preventDefault();
    host.act('select-node', target);
    return;
  }
  if (target.getAttribute('role') === 'tab' && (e.key === 'ArrowRight' || e.key === 'ArrowLeft')) {
    e.preventDefault();
    host.moveTab(e.key === 'ArrowRight');
    return;
  }
  if (/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName) && e.key !== 'Escape') return;
  const mapped = keyActions[e.key];
  if (!mapped) return;
  if (e.key === ' ') e.preventDefault();
  host.act(mapped);
}
