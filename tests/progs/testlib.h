/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared helpers of the C test programs. */
#ifndef SROCE_TESTLIB_H
#define SROCE_TESTLIB_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <infiniband/verbs.h>

/* Print "PROG: WHAT: strerror(errno)" and exit 2 (test setup failed). */
static inline void test_die(const char *prog, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(2);
}

/* Open the RDMA device called @name or exit 2. */
static inline struct ibv_context *test_open_device(const char *prog,
						   const char *name)
{
	struct ibv_context *ctx = NULL;
	struct ibv_device **list;
	int i, n;

	list = ibv_get_device_list(&n);
	if (!list)
		test_die(prog, "ibv_get_device_list");
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			break;
	if (i == n) {
		fprintf(stderr, "%s: no device %s\n", prog, name);
		exit(2);
	}
	ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	if (!ctx)
		test_die(prog, "ibv_open_device");
	return ctx;
}

#endif /* SROCE_TESTLIB_H */
