#!/usr/bin/env bash
# Builds uBPF (https://github.com/iovisor/ubpf) from a copy you fetched yourself into .cache/ubpf,
# for bench/vmTiers.bench.ts's uBPF interpreter and JIT rows. uBPF is third-party code: it is never
# committed; the bench skips its rows when .cache/ubpf/bin/ubpf_bench is missing. Besides uBPF's own
# ubpf_test it builds ubpf_bench (written below): it times only ubpf_exec / the JIT-ed function in
# CPU time, since ubpf_test's start-up (≈0.3 s of allocation) would swamp a 20 ms JIT run.
# Usage: scripts/build-ubpf.sh /path/to/ubpf-checkout    (needs cmake, a C compiler, libelf-dev)
set -euo pipefail
src="${1:?usage: scripts/build-ubpf.sh /path/to/ubpf-checkout}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/.cache/ubpf"
[ -f "$src/CMakeLists.txt" ] && [ -f "$src/vm/test.c" ] || { echo "build-ubpf: $src is not a uBPF checkout" >&2; exit 2; }
command -v cmake >/dev/null || { echo "build-ubpf: cmake is missing (apt-get install -y cmake)" >&2; exit 2; }
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
# Only the VM library and its ubpf_test runner: no submodules, no conformance suite, no git hooks.
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DUBPF_ENABLE_TESTS=ON -DUBPF_SKIP_EXTERNAL=ON \
  -DUBPF_INSTALL_GIT_HOOKS=OFF >"$build/cmake.log" 2>&1 || { cat "$build/cmake.log" >&2; exit 1; }
cmake --build "$build" --target ubpf_test ubpf -j2 >"$build/build.log" 2>&1 || { tail -40 "$build/build.log" >&2; exit 1; }
mkdir -p "$out/bin"
cp "$(find "$build" -name ubpf_test -type f -perm -u+x | head -1)" "$out/bin/ubpf_test"
cat >"$build/ubpf_bench.c" <<'C'
/* ubpf_bench [--jit] PROGRAM.bin: loads raw eBPF, runs it once, prints "r0_hex cpu_seconds". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ubpf.h>
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  int jit = argc > 2 && !strcmp(argv[1], "--jit");
  FILE *f = fopen(argv[argc - 1], "rb");
  if (!f) { perror("open"); return 2; }
  static char code[1 << 20];
  size_t len = fread(code, 1, sizeof code, f);
  fclose(f);
  struct ubpf_vm *vm = ubpf_create();
  char *err = NULL;
  if (ubpf_load(vm, code, (uint32_t)len, &err) < 0) { fprintf(stderr, "load: %s\n", err); return 1; }
  uint64_t r0 = 0;
  double t0, t1;
  if (jit) {
    ubpf_jit_fn fn = ubpf_compile(vm, &err);
    if (!fn) { fprintf(stderr, "jit: %s\n", err); return 1; }
    t0 = cpu(); r0 = fn(NULL, 0); t1 = cpu();
  } else {
    t0 = cpu();
    if (ubpf_exec(vm, NULL, 0, &r0) < 0) return 1;
    t1 = cpu();
  }
  printf("%llx %.6f\n", (unsigned long long)r0, t1 - t0);
  return 0;
}
C
lib="$(find "$build" -name 'libubpf.a' | head -1)"
cc -O2 -o "$out/bin/ubpf_bench" "$build/ubpf_bench.c" -I"$src/vm/inc" -I"$(dirname "$lib")" -I"$build/vm" "$lib" -lm
git -C "$src" rev-parse HEAD >"$out/REVISION" 2>/dev/null || echo unknown >"$out/REVISION"
echo "build-ubpf: $out/bin/ubpf_test, $out/bin/ubpf_bench ($(cat "$out/REVISION"))"
