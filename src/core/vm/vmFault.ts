// Errors of the VM: a load-time refusal (the kernel's verifier or libbpf would have refused the
// program) and a run-time fault (an access the verifier would have rejected, a runaway program).

/** Raised while a program runs; carries the pc so callers can map it to a source line. */
export class VmFault extends Error {
  constructor(
    readonly pc: number,
    message: string,
  ) {
    super(message);
  }
}

/** Raised while loading: the object or bytecode cannot be run (names what and why). */
export class LoadError extends Error {}
