// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: per-device counters (see sroce_stats.h), exported as the port
 * counters of ib_core's rdma_hw_stats: "rdma statistic show link DEV/1"
 * reads them through get_hw_stats on every call, sysfs
 * (ports/1/hw_counters) at most every RDMA_HW_STATS_DEFAULT_LIFESPAN ms.
 */

#include <linux/percpu.h>

#include "sroce.h"
#include "sroce_net.h"

#define SROCE_STAT_DESC(e, n)	[SROCE_STAT_##e] = { .name = n },

/*
 * The device counters, then the namespace-wide ones kept by sroce_net.c:
 * rx_no_dev counts packets that reached the RoCE port of the device's
 * network namespace through a netdev without an sroce device (or for a
 * device being removed); every device of the namespace shows the same
 * value.
 */
enum {
	SROCE_NS_STAT_RX_NO_DEV = SROCE_STAT_MAX,
	SROCE_NUM_HW_STATS
};

static const struct rdma_stat_desc sroce_stat_descs[SROCE_NUM_HW_STATS] = {
	SROCE_STATS(SROCE_STAT_DESC)
	[SROCE_NS_STAT_RX_NO_DEV] = { .name = "rx_no_dev" },
};

int sroce_stats_init(struct sroce_dev *sdev)
{
	sdev->stats = alloc_percpu(struct sroce_stats);
	return sdev->stats ? 0 : -ENOMEM;
}

/* Safe on a device whose sroce_stats_init() did not run or failed. */
void sroce_stats_fini(struct sroce_dev *sdev)
{
	free_percpu(sdev->stats);
	sdev->stats = NULL;
}

struct rdma_hw_stats *sroce_alloc_hw_port_stats(struct ib_device *ibdev,
						u32 port)
{
	return rdma_alloc_hw_stats_struct(sroce_stat_descs, SROCE_NUM_HW_STATS,
					  RDMA_HW_STATS_DEFAULT_LIFESPAN);
}

int sroce_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats,
		       u32 port, int index)
{
	struct sroce_dev *sdev = to_sdev(ibdev);
	int cpu, i;

	if (stats->num_counters != SROCE_NUM_HW_STATS)
		return -EINVAL;

	for (i = 0; i < SROCE_STAT_MAX; i++)
		stats->value[i] = 0;
	for_each_possible_cpu(cpu) {
		const struct sroce_stats *s = per_cpu_ptr(sdev->stats, cpu);

		for (i = 0; i < SROCE_STAT_MAX; i++)
			stats->value[i] += READ_ONCE(s->cnt[i]);
	}
	stats->value[SROCE_NS_STAT_RX_NO_DEV] = sroce_net_rx_no_dev(sdev);
	return SROCE_NUM_HW_STATS;
}
