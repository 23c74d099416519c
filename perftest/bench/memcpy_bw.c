// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * memcpy bandwidth by size, one thread: the ceiling of a software RDMA
 * device, which moves every payload byte with the CPU at least once.
 * Copies cycle through 64 MiB so that large sizes are not cache hits;
 * the best of five short windows counts.
 *
 * Usage: sr_memcpy_bw [--json] [SIZE...]   (default 4096 65536 1048576)
 * Output: "bytes MB/s" per size (MB = 2^20), or one JSON document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SPAN	(64u << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Best of five 0.1 s windows: the machine may be shared. */
static double measure(char *src, char *dst, size_t size)
{
	size_t off = 0, slots = SPAN / size ? SPAN / size : 1;
	double best = 0;

	for (int w = 0; w < 5; w++) {
		double t0 = now(), t, bw;
		size_t n = 0;

		do {
			for (int i = 0; i < 64; i++) {
				memcpy(dst + off, src + off, size);
				off = (off + size) % (slots * size);
				n++;
			}
			t = now() - t0;
		} while (t < 0.1);
		bw = (double)n * size / t / (1 << 20);
		if (bw > best)
			best = bw;
	}
	/* the copies are used: keep the compiler from dropping them */
	*(volatile char *)dst = dst[off];
	return best;
}

int main(int argc, char **argv)
{
	size_t def[] = { 4096, 65536, 1048576 }, sizes[32];
	int json = 0, n = 0;
	char *src, *dst;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "--json")) {
			json = 1;
			continue;
		}
		if (n == 32 || !(sizes[n] = strtoul(argv[i], &end, 0)) ||
		    *end || sizes[n] > SPAN) {
			fprintf(stderr, "sr_memcpy_bw: bad size '%s' "
				"(usage: sr_memcpy_bw [--json] [SIZE...])\n",
				argv[i]);
			return 1;
		}
		n++;
	}
	if (!n) {
		memcpy(sizes, def, sizeof(def));
		n = 3;
	}
	src = malloc(SPAN);
	dst = malloc(SPAN);
	if (!src || !dst)
		return 2;
	memset(src, 1, SPAN);
	memset(dst, 2, SPAN);
	if (json)
		printf("{\"tool\": \"sr_memcpy_bw\", \"results\": [");
	for (int i = 0; i < n; i++) {
		double bw = measure(src, dst, sizes[i]);

		if (json)
			printf("%s{\"bytes\": %zu, \"bw_avg\": %.1f}",
			       i ? ", " : "", sizes[i], bw);
		else
			printf("%zu %.1f\n", sizes[i], bw);
	}
	if (json)
		printf("], \"status\": \"ok\"}\n");
	return 0;
}
