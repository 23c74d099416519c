// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The tools: each binary sr_<name> runs the entry called <name>. */
#include <string.h>

#include "pt.h"

const struct pt_tool pt_tools[] = {
	{ "write_bw", PT_CLS_BW, &pt_kind_write, NULL,
	  "RDMA WRITE bandwidth (RC)" },
	{ "write_lat", PT_CLS_LAT, &pt_kind_write, NULL,
	  "RDMA WRITE latency, ping-pong (RC), reports RTT/2" },
	{ "read_bw", PT_CLS_BW, &pt_kind_read, NULL,
	  "RDMA READ bandwidth (RC)" },
	{ "read_lat", PT_CLS_LAT, &pt_kind_read, NULL,
	  "RDMA READ latency (RC)" },
	{ "send_bw", PT_CLS_BW, &pt_kind_send, NULL,
	  "SEND/RECV bandwidth (RC or UD)" },
	{ "send_lat", PT_CLS_LAT, &pt_kind_send, NULL,
	  "SEND/RECV latency, ping-pong (RC or UD), reports RTT/2" },
	{ "atomic_bw", PT_CLS_BW, &pt_kind_atomic, NULL,
	  "atomic (fetch-and-add, compare-and-swap) rate (RC)" },
	{ "atomic_lat", PT_CLS_LAT, &pt_kind_atomic, NULL,
	  "atomic latency (RC)" },
	{ "reg_cost", PT_CLS_REG, NULL, pt_run_reg_cost,
	  "memory registration cost by size: pinned vs ODP vs implicit ODP" },
	{ "odp_faults", PT_CLS_FAULTS, NULL, pt_run_odp_faults,
	  "ODP page-fault throughput (prefetch, RDMA write and read into "
	  "dropped pages) and invalidation cost" },
	{ "footprint", PT_CLS_FOOT, NULL, pt_run_footprint,
	  "RSS and pinned/locked memory of each memory mode, before and "
	  "after registration and RDMA" },
	{ NULL },
};

const struct pt_tool *pt_tool_find(const char *name)
{
	for (const struct pt_tool *t = pt_tools; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}
