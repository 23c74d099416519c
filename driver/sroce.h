/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sroce: software RoCEv2 device with on-demand paging.
 *
 * Private header of the kernel module: device and object structures,
 * limits, and the prototypes of every file, grouped by concern.
 */
#ifndef SROCE_H
#define SROCE_H

#include <linux/list.h>
#include <linux/stringify.h>
#include <linux/netdevice.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/idr.h>
#include <rdma/ib_verbs.h>

#include "sroce-abi.h"
#include "compat.h"

#define SROCE_VERSION_MAJOR	0
#define SROCE_VERSION_MINOR	1
#define SROCE_VERSION_PATCH	0
#define SROCE_VERSION		__stringify(SROCE_VERSION_MAJOR) "." \
				__stringify(SROCE_VERSION_MINOR) "." \
				__stringify(SROCE_VERSION_PATCH)
/* fw_ver as the provider decodes it: major << 32 | minor << 16 | patch */
#define SROCE_FW_VER		((u64)SROCE_VERSION_MAJOR << 32 | \
				 SROCE_VERSION_MINOR << 16 | SROCE_VERSION_PATCH)
#define SROCE_DRV_NAME		"sroce"

/*
 * Device limits.  They are what the data path is sized for and enforces;
 * query_device reports exactly these.
 */
#define SROCE_MAX_PD		(1 << 16)
#define SROCE_MAX_QP		(1 << 14)
#define SROCE_MAX_QP_WR		(1 << 14)
#define SROCE_MAX_SGE		32
#define SROCE_MAX_CQ		(1 << 14)
#define SROCE_MAX_CQE		((1 << 16) - 1)
#define SROCE_MAX_MR		(1 << 16)
#define SROCE_MAX_SRQ		(1 << 14)
#define SROCE_MAX_SRQ_WR	(1 << 14)
#define SROCE_MAX_AH		(1 << 16)
#define SROCE_MAX_RD_ATOM	128
#define SROCE_MAX_MSG_SZ	(1U << 30)	/* 1 GiB */
#define SROCE_GID_TBL_LEN	1024
#define SROCE_PKEY_TBL_LEN	1
#define SROCE_VENDOR_ID		0xffffff	/* no IEEE OUI: software device */
#define SROCE_VENDOR_PART_ID	0x5343		/* "SC" */
#define SROCE_LOCAL_ACK_DELAY	15

/*
 * struct sroce_dev - one sroce RDMA device, bound to one net_device.
 *
 * Lifetime: allocated and registered by sroce_newlink(), unregistered by
 * "rdma link delete", by the netdev going away (NETDEV_UNREGISTER queues
 * the unregistration) or by module unload; ib_core then calls
 * sroce_dealloc_driver(), which undoes everything sroce_newlink() set up.
 *
 * @list is on sroce_dev_list under sroce_dev_lock (see sroce_main.c).
 * @port_lock guards @port_state, the last port state reported through an
 * IB event, so that each transition is reported exactly once.
 */
struct sroce_dev {
	struct ib_device ibdev;
	struct net_device *ndev;	/* holds a reference (ndev_tracker) */
	netdevice_tracker ndev_tracker;
	struct list_head list;

	spinlock_t port_lock;
	enum ib_port_state port_state;

	struct work_struct gid_work;	/* GID rescan for non-Ethernet netdevs */
	bool gid_del_pending;		/* rescan must drop stale GIDs first */

	struct ida pd_ida;		/* PD numbers, < SROCE_MAX_PD */
	atomic_t num_ucontext;
	atomic_t num_pd;
};

static inline struct sroce_dev *to_sdev(struct ib_device *ibdev)
{
	return container_of(ibdev, struct sroce_dev, ibdev);
}

struct sroce_ucontext {
	struct ib_ucontext ibuc;
};

static inline struct sroce_ucontext *to_suc(struct ib_ucontext *ibuc)
{
	return container_of(ibuc, struct sroce_ucontext, ibuc);
}

struct sroce_pd {
	struct ib_pd ibpd;
	u32 pdn;
};

static inline struct sroce_pd *to_spd(struct ib_pd *ibpd)
{
	return container_of(ibpd, struct sroce_pd, ibpd);
}

/*
 * A kernel buffer that user space maps through the uverbs fd.  The entry
 * owns the vmalloc_user() memory: it is freed by sroce_mmap_free() when
 * ib_core drops the last reference to the entry, after the owning object
 * removed it.  Pages already mapped into a process stay valid until that
 * mapping goes away, since each mapped page holds its own reference.
 */
struct sroce_mmap_entry {
	struct rdma_user_mmap_entry rdma_entry;
	void *kaddr;
	size_t size;
};

/* sroce_main.c: devices, links, netdev events */
enum ib_port_state sroce_port_state(struct sroce_dev *sdev);

/* sroce_verbs.c: device, port, context and PD verbs */
int sroce_query_device(struct ib_device *ibdev, struct ib_device_attr *attr,
		       struct ib_udata *udata);
int sroce_query_port(struct ib_device *ibdev, u32 port,
		     struct ib_port_attr *attr);
int sroce_get_port_immutable(struct ib_device *ibdev, u32 port,
			     struct ib_port_immutable *immutable);
enum rdma_link_layer sroce_get_link_layer(struct ib_device *ibdev, u32 port);
int sroce_query_pkey(struct ib_device *ibdev, u32 port, u16 index, u16 *pkey);
void sroce_get_dev_fw_str(struct ib_device *ibdev, char *str);
int sroce_alloc_ucontext(struct ib_ucontext *ibuc, struct ib_udata *udata);
void sroce_dealloc_ucontext(struct ib_ucontext *ibuc);
void sroce_disassociate_ucontext(struct ib_ucontext *ibuc);
int sroce_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata);
int sroce_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata);

/* sroce_mmap.c: kernel memory shared with user space */
struct sroce_mmap_entry *sroce_mmap_alloc(struct ib_ucontext *ibuc, size_t size,
					  struct sroce_mmap_info *info);
void sroce_mmap_remove(struct sroce_mmap_entry *entry);
int sroce_mmap(struct ib_ucontext *ibuc, struct vm_area_struct *vma);
void sroce_mmap_free(struct rdma_user_mmap_entry *rdma_entry);

#endif /* SROCE_H */
