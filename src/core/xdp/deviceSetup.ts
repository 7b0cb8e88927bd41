// The devices of a scenario and what is attached to them (dev_change_xdp_fd's rules): SimDevices with
// their veth peers, the scenario's program names resolved to loaded handles, and each device's XDP
// attachment with the kernel's refusals (§1.4, §5) or libxdp's dispatcher (dispatcherSetup.ts).
import type { XdpRunConfig } from '../elf/xdpRunConfig';
import type { Scenario, ScenarioXdpComponent } from '../scenario/scenario';
import type { XdpProgramHandle } from '../vm/xdpRun';
import { buildDispatcher } from './dispatcherSetup';
import { XDP_FEATURE } from './driverProfiles';
import { SimDevice, VETH_MAX_PEER_MTU_LINEAR } from './simDevice';
import { SimulationSetupError, type SimulationInput } from './simulationInput';
import { XdpDispatcher } from './xdpDispatcher';

/** Resolves the scenario's program entries to loaded handles. */
export function resolvePrograms(input: SimulationInput): Map<string, XdpProgramHandle> {
  const out = new Map<string, XdpProgramHandle>();
  input.scenario.programs.forEach((p, i) => {
    // A program without a local object (imported from a host) has no handle: see Simulation's attach.
    if (p.file === undefined) return;
    const obj = input.objects.get(p.file);
    if (!obj) throw new SimulationSetupError(`$.programs[${i}].file`, `object '${p.file}' was not loaded`);
    const handle =
      p.function !== undefined
        ? obj.programs.find((h) => h.name === p.function)
        : (obj.programs.find((h) => h.attach === 'xdp') ?? obj.programs[0]);
    if (!handle)
      throw new SimulationSetupError(
        `$.programs[${i}].function`,
        p.function !== undefined
          ? `no program '${p.function}' in ${p.file} (has: ${obj.programs.map((h) => h.name).join(', ') || 'none'})`
          : `${p.file} has no XDP program`,
      );
    out.set(p.name, handle);
  });
  return out;
}

/** The scenario's devices by name, veth peers linked; `peer: null` marks a peer outside the scenario. */
export function buildDevices(sc: Scenario): Map<string, SimDevice> {
  const devices = new Map<string, SimDevice>();
  for (const d of sc.devices) {
    const dev = new SimDevice(
      d.name,
      d.simIfindex,
      d.kind,
      d.driver,
      d.up,
      d.mtu,
      d.queues,
      d.gro,
      d.features,
    );
    dev.peerOutside = d.kind === 'veth' && d.peer === undefined;
    devices.set(d.name, dev);
  }
  for (const d of sc.devices) if (d.peer) (devices.get(d.name) as SimDevice).peer = devices.get(d.peer);
  return devices;
}

/** A chain component's XDP_RUN_CONFIG from its object (libxdp reads it on every load). */
function objectRunConfig(
  input: SimulationInput,
  e: ScenarioXdpComponent,
  prog: XdpProgramHandle,
): XdpRunConfig | undefined {
  const file = input.scenario.programs.find((p) => p.name === e.program)?.file ?? '';
  const configs = input.runConfigs?.get(file);
  if (typeof configs === 'string')
    throw new SimulationSetupError(`${e.path}.program`, `libxdp cannot load ${file}: ${configs}`);
  return configs?.get(prog.name);
}

/** A refused attach: the errno and the kernel's reason. */
export interface AttachError {
  errno: string;
  message: string;
}

/** What attachPrograms did besides setting each device's program. */
export interface Attachments {
  attachErrors: Map<string, AttachError>;
  dispatchers: Map<string, XdpDispatcher>;
}

/**
 * Attaches each device's `xdp` (a program, or a chain behind libxdp's dispatcher), refusing what
 * the kernel refuses; refusals and unknown programs become `warnings`.
 */
export function attachPrograms(
  input: SimulationInput,
  devices: ReadonlyMap<string, SimDevice>,
  programs: ReadonlyMap<string, XdpProgramHandle>,
  warnings: string[],
): Attachments {
  const sc = input.scenario;
  const attachErrors = new Map<string, AttachError>();
  const dispatchers = new Map<string, XdpDispatcher>();
  let nextProgId =
    1 + Math.max(0, ...[...input.objects.values()].flatMap((o) => o.programs.map((p) => p.id)));
  sc.devices.forEach((d, i) => {
    if (!d.xdp) return;
    const dev = devices.get(d.name) as SimDevice;
    let prog = programs.get(d.xdp.program);
    if (d.xdp.chain) {
      // libxdp loads the components, then the dispatcher (a later id) that the device runs.
      const disp = buildDispatcher(
        d.xdp.chain,
        programs,
        (e, p) => objectRunConfig(input, e, p),
        nextProgId++,
      );
      if (typeof disp === 'string') {
        warnings.push(`$.devices[${i}].xdp: ${disp}; ${d.name} runs without a program`);
        attachErrors.set(d.name, { errno: 'EINVAL', message: disp });
        return;
      }
      dispatchers.set(d.name, disp);
      prog = disp;
    } else if (!prog) {
      // No local object: the device is drawn with the program, frames reaching it are reported.
      const sp = sc.programs.find((p) => p.name === d.xdp?.program);
      dev.unknownProg = { name: d.xdp.program, ...(sp?.tag !== undefined ? { tag: sp.tag } : {}) };
      dev.progName = d.xdp.program;
      dev.mode = d.xdp.mode;
      warnings.push(
        `$.devices[${i}].xdp: '${d.xdp.program}' on ${d.name} is an unknown program (tag ${sp?.tag ?? '?'}${sp?.id !== undefined ? `, id ${sp.id}` : ''}): no local object, so frames reaching it are counted as 'unknown_program', not run`,
      );
      return;
    }
    let refusal: AttachError | undefined;
    if (prog.attach !== 'xdp')
      refusal = {
        errno: 'EINVAL',
        message: `'${d.xdp.program}' is a ${prog.attach} program, not an XDP attach program`,
      };
    else if (d.xdp.mode === 'native' && !(dev.xdpFeatures & XDP_FEATURE.BASIC))
      refusal = {
        errno: 'EOPNOTSUPP',
        message: `driver ${dev.driver} has no native XDP (use mode "generic")`,
      };
    else if (
      d.xdp.mode === 'native' &&
      dev.kind === 'veth' &&
      !prog.frags &&
      dev.peer &&
      dev.peer.mtu > VETH_MAX_PEER_MTU_LINEAR
    )
      refusal = {
        errno: 'ERANGE',
        message: `Peer MTU is too large to set XDP (peer ${dev.peer.name} mtu ${dev.peer.mtu} > ${VETH_MAX_PEER_MTU_LINEAR}; use a frags-aware program)`,
      };
    if (refusal) {
      attachErrors.set(d.name, refusal);
      warnings.push(
        `$.devices[${i}].xdp: the kernel refuses this attach: ${refusal.errno} (${refusal.message}); ${d.name} runs without a program`,
      );
      return;
    }
    dev.prog = prog;
    dev.progName = prog instanceof XdpDispatcher ? prog.name : d.xdp.program;
    dev.mode = d.xdp.mode;
  });
  return { attachErrors, dispatchers };
}
