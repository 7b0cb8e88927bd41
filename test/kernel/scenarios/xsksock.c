// SPDX-License-Identifier: GPL-2.0
// An AF_XDP socket for the simulator's differential tier (scenario "xsks"): created, optionally
// bound in copy mode to IFINDEX/QUEUE with an RX ring of RXRING descriptors and FILL buffers posted
// to the fill ring (2048-byte chunks, no umem headroom), then inserted into an XSKMAP slot. It never
// reads its RX ring, like the simulated application. Prints "ready" and lives until stdin closes.
// Build: gcc -O1 -o xsksock xsksock.c -lbpf
// Usage: xsksock MAP_PIN KEY unbound | xsksock MAP_PIN KEY bound IFINDEX QUEUE RXRING FILL [sg]
// ("sg": bound with XDP_USE_SG, multi-buffer: a frame larger than a chunk takes several descriptors)
#include <bpf/bpf.h>
#include <linux/if_xdp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define CHUNK 2048
#define NCHUNKS 4096

static int fail(const char *what)
{
	perror(what);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 8 && argc != 9) {
		fprintf(stderr, "usage: %s MAP_PIN KEY unbound | MAP_PIN KEY bound IFINDEX QUEUE RXRING FILL [sg]\n", argv[0]);
		return 2;
	}
	int map = bpf_obj_get(argv[1]);
	if (map < 0)
		return fail("bpf_obj_get");
	int fd = socket(AF_XDP, SOCK_RAW, 0);
	if (fd < 0)
		return fail("socket(AF_XDP)");
	if (!strcmp(argv[3], "bound")) {
		unsigned int ifindex = strtoul(argv[4], NULL, 0), queue = strtoul(argv[5], NULL, 0);
		unsigned int rx = strtoul(argv[6], NULL, 0), fill = strtoul(argv[7], NULL, 0);
		void *area = mmap(NULL, (size_t)CHUNK * NCHUNKS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (area == MAP_FAILED)
			return fail("mmap umem");
		struct xdp_umem_reg reg = { .addr = (__u64)(unsigned long)area, .len = (__u64)CHUNK * NCHUNKS, .chunk_size = CHUNK, .headroom = 0 };
		if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)))
			return fail("XDP_UMEM_REG");
		unsigned int ring = NCHUNKS;
		if (setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &ring, sizeof(ring)) ||
		    setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring, sizeof(ring)) ||
		    setsockopt(fd, SOL_XDP, XDP_RX_RING, &rx, sizeof(rx)))
			return fail("ring sizes");
		struct xdp_mmap_offsets off;
		socklen_t optlen = sizeof(off);
		if (getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &optlen))
			return fail("XDP_MMAP_OFFSETS");
		void *fr = mmap(NULL, off.fr.desc + NCHUNKS * sizeof(__u64), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
				XDP_UMEM_PGOFF_FILL_RING);
		if (fr == MAP_FAILED)
			return fail("mmap fill ring");
		__u64 *addrs = (__u64 *)((char *)fr + off.fr.desc);
		for (unsigned int i = 0; i < fill && i < NCHUNKS; i++)
			addrs[i] = (__u64)i * CHUNK;
		__atomic_store_n((__u32 *)((char *)fr + off.fr.producer), fill, __ATOMIC_RELEASE);
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
		__u16 flags = XDP_COPY | (argc == 9 && !strcmp(argv[8], "sg") ? XDP_USE_SG : 0);
		struct sockaddr_xdp sxdp = { .sxdp_family = AF_XDP, .sxdp_ifindex = ifindex, .sxdp_queue_id = queue, .sxdp_flags = flags };
		if (bind(fd, (struct sockaddr *)&sxdp, sizeof(sxdp)))
			return fail("bind");
	}
	__u32 key = strtoul(argv[2], NULL, 0);
	__u32 value = fd;
	if (bpf_map_update_elem(map, &key, &value, 0))
		return fail("bpf_map_update_elem");
	printf("ready\n");
	fflush(stdout);
	char buf[64];
	while (read(0, buf, sizeof(buf)) > 0)
		;
	return 0;
}
