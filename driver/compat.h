/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Differences between the kernels sroce is built for (Debian 12's 6.1 and
 * 6.12).  Everything version-dependent is confined to this header so that
 * the rest of the driver reads as if written for one kernel.
 */
#ifndef SROCE_COMPAT_H
#define SROCE_COMPAT_H

#include <linux/version.h>
#include <rdma/ib_verbs.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "sroce needs Linux 6.1 or newer"
#endif

/*
 * ib_core adds the GIDs of a netdev's addresses by itself only for
 * ARPHRD_ETHER netdevs; for others (lo) sroce rescans on address events.
 * A rescan only adds GIDs.  6.12 exports roce_del_all_netdev_gids(), which
 * lets a rescan after an address removal start from an empty table; 6.1
 * exports nothing that deletes a RoCE GID, so there removed addresses stay
 * in the table of a non-Ethernet port until the device is recreated.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define SROCE_HAVE_GID_DELETE	1
static inline void sroce_compat_del_netdev_gids(struct ib_device *ibdev,
						u32 port,
						struct net_device *ndev)
{
	roce_del_all_netdev_gids(ibdev, port, ndev);
}
#else
#define SROCE_HAVE_GID_DELETE	0
static inline void sroce_compat_del_netdev_gids(struct ib_device *ibdev,
						u32 port,
						struct net_device *ndev)
{
}
#endif

/*
 * The create_cq device op takes the driver udata on 6.1; since 6.11
 * (commit dd6d7f8574d7) it takes the whole uverbs attribute bundle, whose
 * driver_udata is that same udata.  Kernel consumers pass NULL either way.
 * sroce_create_cq() takes a struct sroce_create_cq_arg * and gets its udata
 * with sroce_create_cq_udata().
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#include <rdma/uverbs_ioctl.h>
#define sroce_create_cq_arg	uverbs_attr_bundle
static inline struct ib_udata *
sroce_create_cq_udata(struct uverbs_attr_bundle *attrs)
{
	return attrs ? &attrs->driver_udata : NULL;
}
#else
#define sroce_create_cq_arg	ib_udata
static inline struct ib_udata *sroce_create_cq_udata(struct ib_udata *udata)
{
	return udata;
}
#endif

#endif /* SROCE_COMPAT_H */
