// The launch arguments a scenario names for one of its frames (issue 14: the configuration provider
// "fills program and frame from the active editor"): frame N of the traffic, run by the program
// attached to the device that receives it, as "Debug this frame" in the visualizer starts it.
import path from 'node:path';
import { scenarioFrame } from '../../core/scenario/scenarioFrame';
import { parseScenarioText } from '../../core/scenario/scenarioParse';

export interface ScenarioLaunch {
  program: string;
  function?: string;
  frame: { scenario: string; index: number };
  /** The receiving device, when its programs are a libxdp dispatcher chain (the session runs them all). */
  chainOn?: string;
}

/**
 * The program and frame a scenario open in the editor names (issue 14: the provider "fills program and
 * frame from the active editor"): frame N (1 unless the configuration says) of its traffic, run by the
 * program attached to the device that receives it — what "Debug this frame" starts from the visualizer.
 * A string is why it cannot.
 */
export function scenarioLaunch(scenarioFile: string, text: string, index: number): ScenarioLaunch | string {
  let at: ReturnType<typeof scenarioFrame>;
  try {
    at = scenarioFrame(parseScenarioText(text), index);
  } catch (e) {
    return (e as Error).message;
  }
  if (typeof at === 'string') return at;
  if (!at.program)
    return `no XDP program is attached to ${at.rx?.name ?? 'the device that receives frame ' + index}`;
  if (at.program.file === undefined)
    return `'${at.program.name}' has no local object (an unknown program of an imported host)`;
  return {
    program: path.resolve(path.dirname(scenarioFile), at.program.file),
    ...(at.program.function ? { function: at.program.function } : {}),
    frame: { scenario: scenarioFile, index },
    ...(at.rx?.xdp?.chain ? { chainOn: at.rx.name } : {}),
  };
}
