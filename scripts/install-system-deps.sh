#!/usr/bin/env bash
# Installs the Debian packages XDP Lab's test tiers need, only when something is missing.
# Kernel tier: clang llvm libbpf-dev bpftool bpftrace linux-perf iproute2 openssh-server sudo python3 gcc.
# Editor tier: chromium ripgrep libkrb5-dev (code-server's native addons).
# LSP tests: clangd (the real clangd reads the .clangd XDP Lab writes). Safe to run repeatedly.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have clang || need+=(clang)
have llvm-objdump || need+=(llvm)
[ -f /usr/include/bpf/bpf_helpers.h ] || need+=(libbpf-dev)
have bpftool || need+=(bpftool)
have bpftrace || need+=(bpftrace)
perf version >/dev/null 2>&1 || need+=(linux-perf)
have ip || need+=(iproute2)
have ping || need+=(iputils-ping)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
have ssh || need+=(openssh-client)
have sudo || need+=(sudo)
have chromium || need+=(chromium)
have rg || need+=(ripgrep)
[ -f /usr/include/gssapi/gssapi.h ] || need+=(libkrb5-dev)
have clangd || need+=(clangd)
have curl || need+=(curl)
have tcpdump || need+=(tcpdump)
have ethtool || need+=(ethtool)
# libxdp's xdp-loader: the dispatcher test (test/kernel/dispatcher.test.ts) checks its run configs.
[ -x /usr/sbin/xdp-loader ] || have xdp-loader || need+=(xdp-tools)
# The kernel tier's small libbpf drivers (test/kernel/scenarios/*.c) and the simulator bench's
# kernel figure are built with gcc; python3 sends raw frames.
have gcc || need+=(gcc)
# GNU time: the simulator bench's kernel figure per CPU-second (the driver's rusage).
[ -x /usr/bin/time ] || need+=(time)
have python3 || need+=(python3)
# conntrack -I fills a netns' conntrack table for the kfunc test (test/kernel/conntrackKfuncs.test.ts).
have conntrack || need+=(conntrack)
[ -f /usr/include/linux/bpf.h ] || need+=(linux-libc-dev)
# Verifier fixtures marked `// clang: 19` (kptrs: clang 14 writes no BTF type tags; test/fixtures/verifier).
have clang-19 || need+=(clang-19 llvm-19)
if [ ${#need[@]} -eq 0 ]; then echo "system deps: all present"; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "system deps missing (${need[*]}); run as root: apt-get install -y ${need[*]}" >&2
  exit 0
fi
echo "system deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "system deps: installed"
