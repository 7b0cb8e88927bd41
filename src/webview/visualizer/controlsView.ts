// The panel's toolbar: timeline playback (back, play/pause, step, speed), zoom, Re-run / Stop and the
// exports. Pure: a VNode tree from the state it shows; app.ts binds the data-action attributes.
import { h, type VNode } from './vnode';

/** Playback speeds offered, in timeline events per second. */
export const speeds = [10, 50, 200, 1000, 5000];

export interface ControlsState {
  readonly playing: boolean;
  readonly speed: number;
  /** A run is in progress: Stop replaces Re-run. */
  readonly running: boolean;
  readonly hasTimeline: boolean;
  /** The graph is laid out (the SVG/PNG exports need it). */
  readonly hasLayout: boolean;
  /** Re-run and the pcap export need a simulated scenario. */
  readonly simulation: boolean;
}

const btn = (
  action: string,
  label: string,
  aria: string,
  extra: Record<string, string | boolean | undefined> = {},
): VNode =>
  h('button', { type: 'button', 'data-action': action, 'aria-label': aria, title: aria, ...extra }, label);

export function controlsView(c: ControlsState): VNode {
  const noTimeline = !c.hasTimeline;
  return h(
    'div',
    { class: 'controls-inner' },
    btn('step-back', '‹ back', 'Step back one event (←)', { disabled: noTimeline }),
    btn('play', c.playing ? '⏸ Pause' : '▶ Run', c.playing ? 'Pause (Space)' : 'Play the timeline (Space)', {
      disabled: noTimeline,
      'aria-pressed': c.playing ? 'true' : 'false',
    }),
    btn('step', 'step ›', 'Step one event (→)', { disabled: noTimeline }),
    h(
      'label',
      { class: 'speed' },
      'speed ',
      h(
        'select',
        { 'data-action': 'speed', 'aria-label': 'Playback speed in events per second' },
        speeds.map((s) => h('option', { value: s, selected: s === c.speed }, `${s}/s`)),
      ),
    ),
    h('span', { class: 'sep' }),
    btn('zoom-out', '−', 'Zoom out (-)'),
    btn('zoom-fit', 'fit', 'Fit the graph (f)'),
    btn('zoom-in', '+', 'Zoom in (+)'),
    h('span', { class: 'sep' }),
    c.running
      ? btn('stop', '■ Stop', 'Stop the simulation in progress (the counts so far stay)')
      : btn('rerun', '↻ Re-run', 'Run the scenario again', { disabled: !c.simulation }),
    h('span', { class: 'sep' }),
    btn('export-svg', 'SVG', 'Export the graph as SVG', { disabled: !c.hasLayout }),
    btn('export-png', 'PNG', 'Export the graph as PNG', { disabled: !c.hasLayout }),
    btn('export-events', 'events', 'Export the event stream', { disabled: noTimeline }),
    btn('export-pcap', 'pcap', 'Export what each device sent as pcap', { disabled: !c.simulation }),
  );
}
