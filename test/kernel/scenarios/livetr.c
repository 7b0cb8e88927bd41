// SPDX-License-Identifier: GPL-2.0
// Live-frames BPF_PROG_TEST_RUN driver for the simulator's differential tier: runs a pinned XDP
// program on REPEAT copies of one frame, BATCH frames per batch, with ingress IFINDEX (0: none, the
// kernel then uses the loopback device). Build: gcc -O1 -o livetr livetr.c -lbpf
// Usage: livetr PROG_PIN IFINDEX REPEAT BATCH HEXFRAME   (prints the last retval)
// On stderr: "livetr: cpu_ns C wall_ns W" — this process's CPU time and the wall time of the test
// run alone (not process start, not libbpf), for bench/simulate.bench.ts's paired rounds.
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long ns_of(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: %s PROG_PIN IFINDEX REPEAT BATCH HEXFRAME\n", argv[0]);
		return 2;
	}
	int fd = bpf_obj_get(argv[1]);
	if (fd < 0) {
		perror("bpf_obj_get");
		return 1;
	}
	unsigned int ifindex = strtoul(argv[2], NULL, 0);
	unsigned int repeat = strtoul(argv[3], NULL, 0);
	unsigned int batch = strtoul(argv[4], NULL, 0);
	size_t len = strlen(argv[5]) / 2;
	unsigned char *frame = malloc(len ? len : 1);
	for (size_t i = 0; i < len; i++)
		sscanf(argv[5] + 2 * i, "%2hhx", &frame[i]);

	struct xdp_md ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.data_end = len;
	ctx.ingress_ifindex = ifindex;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = frame,
		.data_size_in = len,
		.ctx_in = ifindex ? &ctx : NULL,
		.ctx_size_in = ifindex ? sizeof(ctx) : 0,
		.repeat = repeat,
		.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		.batch_size = batch);
	unsigned long long cpu0 = ns_of(CLOCK_PROCESS_CPUTIME_ID), wall0 = ns_of(CLOCK_MONOTONIC);
	if (bpf_prog_test_run_opts(fd, &opts)) {
		perror("bpf_prog_test_run_opts");
		return 1;
	}
	unsigned long long cpu = ns_of(CLOCK_PROCESS_CPUTIME_ID) - cpu0, wall = ns_of(CLOCK_MONOTONIC) - wall0;
	printf("%u\n", opts.retval);
	fprintf(stderr, "livetr: cpu_ns %llu wall_ns %llu\n", cpu, wall);
	return 0;
}
