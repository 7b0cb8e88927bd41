// SPDX-License-Identifier: GPL-2.0
// Writes a DEVMAP/CPUMAP entry that names a program (struct bpf_devmap_val / bpf_cpumap_val with
// the program's fd), which bpftool cannot do, for the simulator's differential tier.
// Build: gcc -O1 -o mapupd mapupd.c -lbpf      Usage: mapupd MAP_PIN KEY U32_VALUE PROG_PIN|-
// ("-": no program, fd 0)
#include <bpf/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s MAP_PIN KEY U32_VALUE PROG_PIN\n", argv[0]);
		return 2;
	}
	int map = bpf_obj_get(argv[1]);
	int prog = strcmp(argv[4], "-") ? bpf_obj_get(argv[4]) : 0;
	if (map < 0 || prog < 0) {
		perror("bpf_obj_get");
		return 1;
	}
	__u32 key = strtoul(argv[2], NULL, 0);
	struct { __u32 v; int fd; } value = { (__u32)strtoul(argv[3], NULL, 0), prog };
	if (bpf_map_update_elem(map, &key, &value, 0)) {
		perror("bpf_map_update_elem");
		return 1;
	}
	return 0;
}
