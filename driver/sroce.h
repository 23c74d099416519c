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
#include "sroce_mem.h"
#include "sroce_stats.h"

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
#define SROCE_MAX_FRMR_PAGES	512	/* page list of a fast-reg MR */
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

struct sroce_netns;

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
	struct list_head list;		/* sroce_dev_list (sroce_main.c) */
	bool listed;			/* on it; under sroce_dev_lock */

	spinlock_t port_lock;
	enum ib_port_state port_state;

	struct work_struct gid_work;	/* GID rescan for non-Ethernet netdevs */
	bool gid_del_pending;		/* rescan must drop stale GIDs first */

	struct ida pd_ida;		/* PD numbers, < SROCE_MAX_PD */
	atomic_t num_ucontext;
	atomic_t num_pd;
	atomic_t num_cq;		/* at most SROCE_MAX_CQ */

	struct sroce_mr_table mrs;	/* memory regions, see sroce_mem.h */

	/* QPs by number (RCU lookups from receive), AHs by number, SRQs */
	struct xarray qp_xa;
	u32 qp_next;
	atomic_t num_qp;
	struct xarray ah_xa;
	u32 ah_next;
	atomic_t num_ah;
	struct ida srq_ida;
	atomic_t num_srq;

	/* the wire: sroce_net.c, sroce_stats.c */
	struct sroce_netns *netns;	/* UDP sockets of the netdev's netns */
	struct sroce_stats __percpu *stats;	/* counters, sroce_stats.h */
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
 * Completion queues (sroce_cq.c).
 *
 * RING.  A CQ is a ring of struct sroce_cqe behind a struct sroce_ring_hdr
 * (uapi/sroce-abi.h): 2^n slots, free-running 32-bit producer and consumer
 * indices, entry i in slot (i & mask).  A CQ asked for cqe entries gets
 * roundup_pow_of_two(cqe + 1) slots and holds mask = slots - 1 entries, the
 * capacity reported in ibcq->cqe; the ring is full when producer - consumer
 * == mask.  A user CQ's ring is sroce_mmap_alloc() memory that the library
 * maps and polls without a syscall; a kernel CQ's ring has the same layout
 * in vmalloc memory, with the ib_qp of each entry in a side array (@qps) for
 * ib_wc.qp, and is polled through sroce_poll_cq().
 *
 * ORDERING.  The kernel is the only producer.  It keeps its producer index
 * in struct sroce_cq and only ever writes the ring's copy, never reads it
 * back (user space can write anything into its mapping).  Post: load-acquire
 * the ring's consumer (slots it freed are no longer being read), write the
 * entry, store-release the producer.  Consume: load-acquire the producer,
 * read the entries, store-release the consumer.  A consumer index that is
 * not within mask entries behind the producer (a corrupt user mapping)
 * makes the ring look full: posts fail, nothing outside the ring is touched.
 *
 * LOCKING.  @lock (spinlock, irqsave: kernel consumers may poll from any
 * context) guards @ring (including swapping it on resize), @producer,
 * @notify, @overflowed and @overflows, and serialises the kernel's side of
 * the ring: producer, kernel consumer, resize and destroy.  It is a leaf
 * lock; the completion and event handlers are called after dropping it.
 * User space serialises its own consumers (the provider holds its CQ lock
 * across poll and resize, so the consumer index is stable during resize).
 *
 * NOTIFICATION.  @notify is 0 (disarmed), IB_CQ_SOLICITED or
 * IB_CQ_NEXT_COMP; arming NEXT_COMP supersedes SOLICITED.  A post disarms
 * and calls ibcq->comp_handler once if armed NEXT_COMP, or armed SOLICITED
 * and the completion is solicited or unsuccessful (IBTA: an error
 * completion satisfies a solicited-only request).
 *
 * OVERFLOW.  A post to a full ring is dropped, never overwrites: it returns
 * -ENOSPC and counts in @overflows (shown by "rdma resource show cq -dd");
 * the first one also reports IB_EVENT_CQ_ERR through ibcq->event_handler.
 * Later posts succeed again once the consumer has made room.
 *
 * PRODUCERS AND LIFETIME.  Only the engines of a QP (or SRQ) that uses the
 * CQ post to it, from process or softirq context, between the creation of
 * that QP and the return of its destroy, which stops its engines first.
 * ib_core refuses to destroy a CQ that a QP still uses (ib_cq.usecnt), so
 * no post runs during or after sroce_destroy_cq(), and a post has finished
 * its handler calls before its QP is gone.  As a second line of defence,
 * destroy empties @ring under the lock and a post that finds it empty
 * fails with -ESHUTDOWN instead of writing into freed memory.
 */
struct sroce_cq_ring {
	struct sroce_ring_hdr *hdr;	/* start of the ring memory */
	struct sroce_cqe *cqes;		/* mask + 1 slots after the header */
	struct ib_qp **qps;		/* kernel CQs: QP of each slot */
	struct sroce_mmap_entry *mmap;	/* user CQs: owns the memory */
	u32 mask;
};

struct sroce_cq {
	struct ib_cq ibcq;
	spinlock_t lock;		/* guards the fields below */
	struct sroce_cq_ring ring;	/* empty (NULL hdr) once destroyed */
	u32 producer;			/* the kernel's producer index */
	u8 notify;			/* 0, IB_CQ_SOLICITED, IB_CQ_NEXT_COMP */
	bool overflowed;		/* IB_EVENT_CQ_ERR reported */
	u64 overflows;			/* posts refused: ring full */
};

static inline struct sroce_cq *to_scq(struct ib_cq *ibcq)
{
	return container_of(ibcq, struct sroce_cq, ibcq);
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

/* Count in a device counter (sroce_stats.h); any context, no lock. */
static inline void sroce_stat_add(struct sroce_dev *sdev, enum sroce_stat i,
				  u64 n)
{
	this_cpu_add(sdev->stats->cnt[i], n);
}

static inline void sroce_stat_inc(struct sroce_dev *sdev, enum sroce_stat i)
{
	sroce_stat_add(sdev, i, 1);
}

/* sroce_main.c: device lookup for receive (takes a registration ref) */
struct sroce_dev *sroce_dev_get_by_ndev(struct net_device *ndev);
bool sroce_gid_is_local(struct sroce_dev *sdev, const union ib_gid *gid);

/* sroce_stats.c: device counters (rdma_hw_stats) */
int sroce_stats_init(struct sroce_dev *sdev);
void sroce_stats_fini(struct sroce_dev *sdev);
struct rdma_hw_stats *sroce_alloc_hw_port_stats(struct ib_device *ibdev,
						u32 port);
int sroce_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats,
		       u32 port, int index);

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

/* sroce_mr.c: memory region verbs (the seam itself is in sroce_mem.h) */
struct ib_mr *sroce_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
				u64 virt_addr, int access,
				struct ib_udata *udata);
struct ib_mr *sroce_rereg_user_mr(struct ib_mr *ibmr, int flags, u64 start,
				  u64 length, u64 virt_addr, int access,
				  struct ib_pd *ibpd, struct ib_udata *udata);
struct ib_mr *sroce_get_dma_mr(struct ib_pd *ibpd, int access);
struct ib_mr *sroce_alloc_mr(struct ib_pd *ibpd, enum ib_mr_type mr_type,
			     u32 max_num_sg);
int sroce_map_mr_sg(struct ib_mr *ibmr, struct scatterlist *sg, int sg_nents,
		    unsigned int *sg_offset);
int sroce_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata);
int sroce_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);

/* sroce_selftest.c: self-test of the memory seam (module parameter) */
int sroce_selftest_run(void);

/* sroce_cq.c: completion queues (see struct sroce_cq) */
int sroce_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		    struct sroce_create_cq_arg *arg);
int sroce_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata);
int sroce_resize_cq(struct ib_cq *ibcq, int cqe, struct ib_udata *udata);
int sroce_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc);
int sroce_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags);
int sroce_fill_res_cq_entry(struct sk_buff *msg, struct ib_cq *ibcq);
int sroce_cq_post(struct sroce_cq *cq, const struct sroce_cqe *cqe,
		  struct ib_qp *qp, bool solicited);
/* the queue code under the verbs, also used by sroce_cq_selftest.c */
int sroce_cq_ring_alloc(struct sroce_cq_ring *ring, u32 cqe,
			struct ib_ucontext *ibuc, struct sroce_mmap_info *info);
void sroce_cq_ring_free(struct sroce_cq_ring *ring);
void sroce_cq_init(struct sroce_cq *cq, struct sroce_cq_ring *ring);
int sroce_cq_swap_ring(struct sroce_cq *cq, struct sroce_cq_ring *ring,
		       u32 cqe);
void sroce_cq_fini(struct sroce_cq *cq);

/* sroce_cq_selftest.c: self-test of the CQ ring (module parameter) */
int sroce_cq_selftest(void);

/* sroce_mmap.c: kernel memory shared with user space */
struct sroce_mmap_entry *sroce_mmap_alloc(struct ib_ucontext *ibuc, size_t size,
					  struct sroce_mmap_info *info);
void sroce_mmap_remove(struct sroce_mmap_entry *entry);
int sroce_mmap(struct ib_ucontext *ibuc, struct vm_area_struct *vma);
void sroce_mmap_free(struct rdma_user_mmap_entry *rdma_entry);

#include "sroce_qp.h"

#endif /* SROCE_H */
