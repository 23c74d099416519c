/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Private libibverbs provider ABI, IBVERBS_PRIVATE_34, as implemented by the
 * libibverbs.so.1.14.44.0 of rdma-core 44 (Debian 12).
 *
 * rdma-core does not install its driver.h/kern-abi.h, so the parts this
 * provider relies on are declared here.  Every layout below is consumed by
 * libibverbs itself: a wrong member order or prototype is not a compile
 * error but a crash.  The offsets asserted at the end of this file were read
 * back from the installed libibverbs.so.1 (see the end of this file).
 */
#ifndef SROCE_VERBS_ABI_H
#define SROCE_VERBS_ABI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <infiniband/verbs.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/ib_user_ioctl_verbs.h>

#define SROCE_PABI_VERSION	34

struct verbs_list_node {
	struct verbs_list_node *next;
	struct verbs_list_node *prev;
};

/* ---- device discovery and matching ---- */

enum {
	VERBS_MATCH_SENTINEL	= 0,
	VERBS_MATCH_PCI		= 1,
	VERBS_MATCH_MODALIAS	= 2,
	VERBS_MATCH_DRIVER_ID	= 3,
};

struct verbs_match_ent {
	void *driver_data;
	union {
		const char *modalias;
		uint64_t driver_id;
	} u;
	uint16_t vendor;
	uint16_t device;
	uint8_t kind;
};

/* One uverbs device found in sysfs; allocated and freed by libibverbs. */
struct verbs_sysfs_dev {
	struct verbs_list_node entry;
	void *provider_data;
	const struct verbs_match_ent *match;
	unsigned int flags;
	char sysfs_name[IBV_SYSFS_NAME_MAX];
	dev_t sysfs_cdev;
	char ibdev_name[IBV_SYSFS_NAME_MAX];
	char ibdev_path[IBV_SYSFS_PATH_MAX];
	char modalias[512];
	uint64_t node_guid;
	uint32_t driver_id;
	enum ibv_node_type node_type;
	int ibdev_idx;
	uint32_t num_ports;
	uint32_t abi_ver;
	struct timespec time_created;
};

struct verbs_device;

struct verbs_device_ops {
	const char *name;
	uint32_t match_min_abi_version;
	uint32_t match_max_abi_version;
	const struct verbs_match_ent *match_table;
	const struct verbs_device_ops **static_providers;
	bool (*match_device)(struct verbs_sysfs_dev *sysfs_dev);
	struct verbs_context *(*alloc_context)(struct ibv_device *device, int cmd_fd,
					       void *private_data);
	struct verbs_context *(*import_context)(struct ibv_device *device, int cmd_fd);
	struct verbs_device *(*alloc_device)(struct verbs_sysfs_dev *sysfs_dev);
	void (*uninit_device)(struct verbs_device *device);
};

/* libibverbs fills ops, refcount, entry and sysfs after alloc_device. */
struct verbs_device {
	struct ibv_device device;
	const struct verbs_device_ops *ops;
	atomic_int refcount;
	struct verbs_list_node entry;
	struct verbs_sysfs_dev *sysfs;
	uint64_t core_support;
};

/* ---- wrappers of base objects the ops table refers to ---- */

enum ibv_mr_type {
	IBV_MR_TYPE_MR,
	IBV_MR_TYPE_NULL_MR,
	IBV_MR_TYPE_IMPORTED_MR,
	IBV_MR_TYPE_DMABUF_MR,
};

struct verbs_mr {
	struct ibv_mr ibv_mr;
	enum ibv_mr_type mr_type;
	int access;
};

struct verbs_qp {
	union {
		struct ibv_qp qp;
		struct ibv_qp_ex qp_ex;
	};
	uint32_t comp_mask;
	struct verbs_xrcd *xrcd;
};

struct verbs_cq {
	union {
		struct ibv_cq cq;
		struct ibv_cq_ex cq_ex;
	};
};

/* verbs_qp.comp_mask: ibv_qp_to_qp_ex() returns &qp_ex only with VERBS_QP_EX. */
enum {
	VERBS_QP_XRCD		= 1 << 0,
	VERBS_QP_EX		= 1 << 1,
};

/* ibv_cmd_create_srq_ex() writes srq_type, and cq/xrcd/srq_num when used. */
struct verbs_srq {
	struct ibv_srq srq;
	enum ibv_srq_type srq_type;
	struct verbs_xrcd *xrcd;
	struct ibv_cq *cq;
	uint32_t srq_num;
};

/*
 * Union of every op a provider may implement, sorted by name.  An op left
 * NULL keeps libibverbs' default, which fails with EOPNOTSUPP.
 */
struct verbs_context_ops {
	int (*advise_mr)(struct ibv_pd *pd, enum ibv_advise_mr_advice advice, uint32_t flags,
			 struct ibv_sge *sg_list, uint32_t num_sges);
	struct ibv_dm *(*alloc_dm)(struct ibv_context *context, struct ibv_alloc_dm_attr *attr);
	struct ibv_mw *(*alloc_mw)(struct ibv_pd *pd, enum ibv_mw_type type);
	struct ibv_mr *(*alloc_null_mr)(struct ibv_pd *pd);
	struct ibv_pd *(*alloc_parent_domain)(struct ibv_context *context,
					      struct ibv_parent_domain_init_attr *attr);
	struct ibv_pd *(*alloc_pd)(struct ibv_context *context);
	struct ibv_td *(*alloc_td)(struct ibv_context *context, struct ibv_td_init_attr *init_attr);
	void (*async_event)(struct ibv_context *context, struct ibv_async_event *event);
	int (*attach_counters_point_flow)(struct ibv_counters *counters,
					  struct ibv_counter_attach_attr *attr,
					  struct ibv_flow *flow);
	int (*attach_mcast)(struct ibv_qp *qp, const union ibv_gid *gid, uint16_t lid);
	int (*bind_mw)(struct ibv_qp *qp, struct ibv_mw *mw, struct ibv_mw_bind *mw_bind);
	int (*close_xrcd)(struct ibv_xrcd *xrcd);
	void (*cq_event)(struct ibv_cq *cq);
	struct ibv_ah *(*create_ah)(struct ibv_pd *pd, struct ibv_ah_attr *attr);
	struct ibv_counters *(*create_counters)(struct ibv_context *context,
						struct ibv_counters_init_attr *init_attr);
	struct ibv_cq *(*create_cq)(struct ibv_context *context, int cqe,
				    struct ibv_comp_channel *channel, int comp_vector);
	struct ibv_cq_ex *(*create_cq_ex)(struct ibv_context *context,
					  struct ibv_cq_init_attr_ex *init_attr);
	struct ibv_flow *(*create_flow)(struct ibv_qp *qp, struct ibv_flow_attr *flow_attr);
	struct ibv_flow_action *(*create_flow_action_esp)(struct ibv_context *context,
							  struct ibv_flow_action_esp_attr *attr);
	struct ibv_qp *(*create_qp)(struct ibv_pd *pd, struct ibv_qp_init_attr *attr);
	struct ibv_qp *(*create_qp_ex)(struct ibv_context *context,
				       struct ibv_qp_init_attr_ex *qp_init_attr_ex);
	struct ibv_rwq_ind_table *(*create_rwq_ind_table)(struct ibv_context *context,
							  struct ibv_rwq_ind_table_init_attr *attr);
	struct ibv_srq *(*create_srq)(struct ibv_pd *pd, struct ibv_srq_init_attr *srq_init_attr);
	struct ibv_srq *(*create_srq_ex)(struct ibv_context *context,
					 struct ibv_srq_init_attr_ex *srq_init_attr_ex);
	struct ibv_wq *(*create_wq)(struct ibv_context *context,
				    struct ibv_wq_init_attr *wq_init_attr);
	int (*dealloc_mw)(struct ibv_mw *mw);
	int (*dealloc_pd)(struct ibv_pd *pd);
	int (*dealloc_td)(struct ibv_td *td);
	int (*dereg_mr)(struct verbs_mr *vmr);
	int (*destroy_ah)(struct ibv_ah *ah);
	int (*destroy_counters)(struct ibv_counters *counters);
	int (*destroy_cq)(struct ibv_cq *cq);
	int (*destroy_flow)(struct ibv_flow *flow);
	int (*destroy_flow_action)(struct ibv_flow_action *action);
	int (*destroy_qp)(struct ibv_qp *qp);
	int (*destroy_rwq_ind_table)(struct ibv_rwq_ind_table *rwq_ind_table);
	int (*destroy_srq)(struct ibv_srq *srq);
	int (*destroy_wq)(struct ibv_wq *wq);
	int (*detach_mcast)(struct ibv_qp *qp, const union ibv_gid *gid, uint16_t lid);
	void (*free_context)(struct ibv_context *context);
	int (*free_dm)(struct ibv_dm *dm);
	int (*get_srq_num)(struct ibv_srq *srq, uint32_t *srq_num);
	struct ibv_dm *(*import_dm)(struct ibv_context *context, uint32_t dm_handle);
	struct ibv_mr *(*import_mr)(struct ibv_pd *pd, uint32_t mr_handle);
	struct ibv_pd *(*import_pd)(struct ibv_context *context, uint32_t pd_handle);
	int (*modify_cq)(struct ibv_cq *cq, struct ibv_modify_cq_attr *attr);
	int (*modify_flow_action_esp)(struct ibv_flow_action *action,
				      struct ibv_flow_action_esp_attr *attr);
	int (*modify_qp)(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask);
	int (*modify_qp_rate_limit)(struct ibv_qp *qp, struct ibv_qp_rate_limit_attr *attr);
	int (*modify_srq)(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr, int srq_attr_mask);
	int (*modify_wq)(struct ibv_wq *wq, struct ibv_wq_attr *wq_attr);
	struct ibv_qp *(*open_qp)(struct ibv_context *context, struct ibv_qp_open_attr *attr);
	struct ibv_xrcd *(*open_xrcd)(struct ibv_context *context,
				      struct ibv_xrcd_init_attr *xrcd_init_attr);
	int (*poll_cq)(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc);
	int (*post_recv)(struct ibv_qp *qp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr);
	int (*post_send)(struct ibv_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad_wr);
	int (*post_srq_ops)(struct ibv_srq *srq, struct ibv_ops_wr *op, struct ibv_ops_wr **bad_op);
	int (*post_srq_recv)(struct ibv_srq *srq, struct ibv_recv_wr *recv_wr,
			     struct ibv_recv_wr **bad_recv_wr);
	int (*query_device_ex)(struct ibv_context *context,
			       const struct ibv_query_device_ex_input *input,
			       struct ibv_device_attr_ex *attr, size_t attr_size);
	int (*query_ece)(struct ibv_qp *qp, struct ibv_ece *ece);
	int (*query_port)(struct ibv_context *context, uint8_t port_num,
			  struct ibv_port_attr *port_attr);
	int (*query_qp)(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask,
			struct ibv_qp_init_attr *init_attr);
	int (*query_qp_data_in_order)(struct ibv_qp *qp, enum ibv_wr_opcode op, uint32_t flags);
	int (*query_rt_values)(struct ibv_context *context, struct ibv_values_ex *values);
	int (*query_srq)(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr);
	int (*read_counters)(struct ibv_counters *counters, uint64_t *counters_value,
			     uint32_t ncounters, uint32_t flags);
	struct ibv_mr *(*reg_dm_mr)(struct ibv_pd *pd, struct ibv_dm *dm, uint64_t dm_offset,
				    size_t length, unsigned int access);
	struct ibv_mr *(*reg_dmabuf_mr)(struct ibv_pd *pd, uint64_t offset, size_t length,
					uint64_t iova, int fd, int access);
	struct ibv_mr *(*reg_mr)(struct ibv_pd *pd, void *addr, size_t length, uint64_t hca_va,
				 int access);
	int (*req_notify_cq)(struct ibv_cq *cq, int solicited_only);
	int (*rereg_mr)(struct verbs_mr *vmr, int flags, struct ibv_pd *pd, void *addr,
			size_t length, int access);
	int (*resize_cq)(struct ibv_cq *cq, int cqe);
	int (*set_ece)(struct ibv_qp *qp, struct ibv_ece *ece);
	void (*unimport_dm)(struct ibv_dm *dm);
	void (*unimport_mr)(struct ibv_mr *mr);
	void (*unimport_pd)(struct ibv_pd *pd);
};

/* ---- write() command wrappers: core header + kernel payload, then udata ---- */

struct ibv_get_context {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_get_context core_payload;
};

struct ibv_query_port {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_query_port core_payload;
};

struct ibv_alloc_pd {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_alloc_pd core_payload;
};

struct ibv_reg_mr {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_reg_mr core_payload;
};

struct ibv_rereg_mr {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_rereg_mr core_payload;
};

/* Extended (IB_USER_VERBS_CMD_FLAG_EXTENDED) write commands start with both headers. */
struct ex_hdr {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_ex_cmd_hdr ex_hdr;
};

struct ibv_create_cq {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_create_cq core_payload;
};

struct ibv_create_cq_ex {
	struct ex_hdr hdr;
	struct ib_uverbs_ex_create_cq core_payload;
};

struct ibv_resize_cq {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_resize_cq core_payload;
};

struct ibv_create_qp_ex {
	struct ex_hdr hdr;
	struct ib_uverbs_ex_create_qp core_payload;
};

struct ibv_modify_qp {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_modify_qp core_payload;
};

struct ibv_query_qp {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_query_qp core_payload;
};

/* The provider writes this one itself: the zero-WR POST_SEND doorbell. */
struct ibv_post_send {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_post_send core_payload;
};

struct ibv_create_srq {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_create_srq core_payload;
};

struct ibv_create_xsrq {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_create_xsrq core_payload;
};

struct ibv_modify_srq {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_modify_srq core_payload;
};

struct ibv_query_srq {
	struct ib_uverbs_cmd_hdr hdr;
	struct ib_uverbs_query_srq core_payload;
};

/* ---- entry points exported by libibverbs under IBVERBS_PRIVATE_34 ---- */

enum {
	VERBS_LOG_LEVEL_NONE,
	VERBS_LOG_ERR,
	VERBS_LOG_WARN,
	VERBS_LOG_INFO,
	VERBS_LOG_DEBUG,
};

void __verbs_log(struct verbs_context *ctx, uint32_t level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void verbs_register_driver_34(const struct verbs_device_ops *ops);

void *_verbs_init_and_alloc_context(struct ibv_device *device, int cmd_fd, size_t alloc_size,
				    struct verbs_context *context_offset, uint32_t driver_id);
void verbs_uninit_context(struct verbs_context *context);
void verbs_set_ops(struct verbs_context *vctx, const struct verbs_context_ops *ops);

int ibv_cmd_get_context(struct verbs_context *context, struct ibv_get_context *cmd,
			size_t cmd_size, struct ib_uverbs_get_context_resp *resp,
			size_t resp_size);
int ibv_cmd_advise_mr(struct ibv_pd *pd, enum ibv_advise_mr_advice advice, uint32_t flags,
		      struct ibv_sge *sg_list, uint32_t num_sge);
int ibv_cmd_query_device_any(struct ibv_context *context,
			     const struct ibv_query_device_ex_input *input,
			     struct ibv_device_attr_ex *attr, size_t attr_size,
			     struct ib_uverbs_ex_query_device_resp *resp, size_t *resp_size);
int ibv_cmd_query_port(struct ibv_context *context, uint8_t port_num,
		       struct ibv_port_attr *port_attr, struct ibv_query_port *cmd,
		       size_t cmd_size);
int ibv_cmd_alloc_pd(struct ibv_context *context, struct ibv_pd *pd, struct ibv_alloc_pd *cmd,
		     size_t cmd_size, struct ib_uverbs_alloc_pd_resp *resp, size_t resp_size);
int ibv_cmd_dealloc_pd(struct ibv_pd *pd);
/*
 * MR commands.  ibv_cmd_reg_mr() fills vmr->ibv_mr (handle, lkey, rkey,
 * context), vmr->mr_type and vmr->access; ibv_cmd_rereg_mr() updates lkey
 * and rkey (and the context for a PD change) and reads pd->handle only with
 * IBV_REREG_MR_CHANGE_PD.  Argument order read back from the v44
 * libibverbs.so.1 (see the end of this file).
 */
int ibv_cmd_reg_mr(struct ibv_pd *pd, void *addr, size_t length, uint64_t hca_va, int access,
		   struct verbs_mr *vmr, struct ibv_reg_mr *cmd, size_t cmd_size,
		   struct ib_uverbs_reg_mr_resp *resp, size_t resp_size);
int ibv_cmd_rereg_mr(struct verbs_mr *vmr, uint32_t flags, void *addr, size_t length,
		     uint64_t hca_va, int access, struct ibv_pd *pd, struct ibv_rereg_mr *cmd,
		     size_t cmd_sz, struct ib_uverbs_rereg_mr_resp *resp, size_t resp_sz);
int ibv_cmd_dereg_mr(struct verbs_mr *vmr);
/*
 * CQ commands.  ibv_cmd_create_cq() and ibv_cmd_create_cq_ex() set the
 * context, handle and cqe of the ibv_cq; libibverbs initialises the rest
 * (channel, cq_context, event counters) after the provider's create op
 * returns.  ibv_cmd_create_cq_ex() refuses comp_mask bits other than
 * IBV_CQ_INIT_ATTR_MASK_FLAGS/PD and turns IBV_CREATE_CQ_ATTR_IGNORE_OVERRUN
 * and completion timestamps (unless cmd_flags has bit 0, "timestamp
 * ignored") into kernel CQ flags.  ibv_cmd_resize_cq() stores the kernel's
 * cqe in cq->cqe.  ibv_cmd_destroy_cq() waits until every completion and
 * async event reported for the CQ was acknowledged.  Argument order and the
 * core sizes asserted below read back from the v44 libibverbs.so.1.
 */
int ibv_cmd_create_cq(struct ibv_context *context, int cqe, struct ibv_comp_channel *channel,
		      int comp_vector, struct ibv_cq *cq, struct ibv_create_cq *cmd,
		      size_t cmd_size, struct ib_uverbs_create_cq_resp *resp, size_t resp_size);
int ibv_cmd_create_cq_ex(struct ibv_context *context, const struct ibv_cq_init_attr_ex *cq_attr,
			 struct verbs_cq *cq, struct ibv_create_cq_ex *cmd, size_t cmd_size,
			 struct ib_uverbs_ex_create_cq_resp *resp, size_t resp_size,
			 uint32_t cmd_flags);
int ibv_cmd_req_notify_cq(struct ibv_cq *cq, int solicited_only);
int ibv_cmd_resize_cq(struct ibv_cq *cq, int cqe, struct ibv_resize_cq *cmd, size_t cmd_size,
		      struct ib_uverbs_resize_cq_resp *resp, size_t resp_size);
int ibv_cmd_destroy_cq(struct ibv_cq *cq);
/*
 * QP commands.  ibv_cmd_create_qp_ex2() needs IBV_QP_INIT_ATTR_PD, takes
 * the ioctl path (or the legacy CREATE_QP write when the ioctl uAPI is
 * missing), stores the kernel's caps in attr_ex->cap, sets handle, qp_num,
 * context, pd, cqs, srq, qp_type, state (RESET) and zeroes vqp->comp_mask.
 * ibv_cmd_modify_qp() refuses attr_mask bits above 0x1ffffff (rate limit
 * and later) with EOPNOTSUPP; ibv_modify_qp() and ibv_query_qp() then
 * track qp->state themselves.  ibv_cmd_destroy_qp() waits for
 * the async events reported for the QP to be acknowledged.
 */
int ibv_cmd_create_qp_ex2(struct ibv_context *context, struct verbs_qp *qp,
			  struct ibv_qp_init_attr_ex *attr_ex, struct ibv_create_qp_ex *cmd,
			  size_t cmd_size, struct ib_uverbs_ex_create_qp_resp *resp,
			  size_t resp_size);
int ibv_cmd_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask,
		      struct ibv_modify_qp *cmd, size_t cmd_size);
int ibv_cmd_query_qp(struct ibv_qp *qp, struct ibv_qp_attr *qp_attr, int attr_mask,
		     struct ibv_qp_init_attr *qp_init_attr, struct ibv_query_qp *cmd,
		     size_t cmd_size);
int ibv_cmd_destroy_qp(struct ibv_qp *qp);
/*
 * SRQ commands.  Both creates set srq->context (and the mutex and cond) and
 * store the kernel's max_wr/max_sge in attr; ibv_cmd_create_srq_ex() needs
 * IBV_SRQ_INIT_ATTR_PD, refuses comp_mask >= IBV_SRQ_INIT_ATTR_RESERVED
 * with EOPNOTSUPP and, on the write fallback, reads attr_ex->srq_type even
 * without IBV_SRQ_INIT_ATTR_TYPE.  ibv_cmd_query_srq() fills max_wr,
 * max_sge and srq_limit.
 */
int ibv_cmd_create_srq(struct ibv_pd *pd, struct ibv_srq *srq, struct ibv_srq_init_attr *attr,
		       struct ibv_create_srq *cmd, size_t cmd_size,
		       struct ib_uverbs_create_srq_resp *resp, size_t resp_size);
int ibv_cmd_create_srq_ex(struct ibv_context *context, struct verbs_srq *srq,
			  struct ibv_srq_init_attr_ex *attr_ex, struct ibv_create_xsrq *cmd,
			  size_t cmd_size, struct ib_uverbs_create_srq_resp *resp,
			  size_t resp_size);
int ibv_cmd_modify_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr, int srq_attr_mask,
		       struct ibv_modify_srq *cmd, size_t cmd_size);
int ibv_cmd_query_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr,
		      struct ibv_query_srq *cmd, size_t cmd_size);
int ibv_cmd_destroy_srq(struct ibv_srq *srq);
/*
 * AH commands: CREATE_AH is a write command with no request udata; the
 * response udata follows the 4-byte ib_uverbs_create_ah_resp.
 * ibv_cmd_create_ah() sets ah->handle and ah->context.
 */
int ibv_cmd_create_ah(struct ibv_pd *pd, struct ibv_ah *ah, struct ibv_ah_attr *attr,
		      struct ib_uverbs_create_ah_resp *resp, size_t resp_size);
int ibv_cmd_destroy_ah(struct ibv_ah *ah);

/*
 * Allocate a provider context of type *(ptr) whose struct verbs_context is
 * the member 'memb', and initialise the libibverbs part of it.
 */
#define verbs_init_and_alloc_context(ibdev, cmd_fd, ptr, memb, driver_id)		\
	((__typeof__(ptr))_verbs_init_and_alloc_context((ibdev), (cmd_fd), sizeof(*(ptr)), \
		&((__typeof__(ptr))NULL)->memb, (driver_id)))

/*
 * Offsets read back from libibverbs.so.1.14.44.0: verbs_set_ops() copies 76
 * ops (0x0..0x258), the device matcher compares sysfs_dev->abi_ver (0x3c8)
 * with ops->match_min/max_abi_version (0x8/0xc) and then calls
 * ops->alloc_device (0x38) and stores ops/refcount at 0x298/0x2a0 of the
 * new device, ibv_cmd_query_device_any() reads device->sysfs (0x2b8) and
 * sysfs->num_ports (0x3c4).
 */
_Static_assert(sizeof(struct verbs_context_ops) == 76 * sizeof(void *), "ops table size");
_Static_assert(offsetof(struct verbs_context_ops, unimport_pd) == 0x258, "ops table end");
_Static_assert(offsetof(struct verbs_device_ops, match_min_abi_version) == 0x8, "min abi");
_Static_assert(offsetof(struct verbs_device_ops, match_max_abi_version) == 0xc, "max abi");
_Static_assert(offsetof(struct verbs_device_ops, alloc_device) == 0x38, "alloc_device");
_Static_assert(offsetof(struct verbs_device, ops) == 0x298, "verbs_device.ops");
_Static_assert(offsetof(struct verbs_device, refcount) == 0x2a0, "verbs_device.refcount");
_Static_assert(offsetof(struct verbs_device, sysfs) == 0x2b8, "verbs_device.sysfs");
_Static_assert(offsetof(struct verbs_sysfs_dev, num_ports) == 0x3c4, "sysfs num_ports");
_Static_assert(offsetof(struct verbs_sysfs_dev, abi_ver) == 0x3c8, "sysfs abi_ver");
_Static_assert(sizeof(struct verbs_match_ent) == 24, "match entry");
_Static_assert(offsetof(struct verbs_qp, qp_ex.qp_base) == 0, "verbs_qp base first");
_Static_assert(sizeof(struct ibv_get_context) == 16, "GET_CONTEXT request");
_Static_assert(sizeof(struct ibv_query_port) == 24, "QUERY_PORT request");
_Static_assert(sizeof(struct ibv_alloc_pd) == 16, "ALLOC_PD request");
/*
 * ibv_cmd_reg_mr() stores start/length/hca_va/pd_handle/access at 0x10..0x2c
 * of the request and sends 0x30 core bytes; ibv_cmd_rereg_mr() sends 0x38;
 * both write handle+lkey at ibv_mr+0x20, rkey at +0x28; reg_mr writes
 * mr_type at verbs_mr+0x30 and access at +0x34.
 */
_Static_assert(sizeof(struct ibv_reg_mr) == 0x30, "REG_MR request");
_Static_assert(offsetof(struct ibv_reg_mr, core_payload.start) == 0x10, "REG_MR start");
_Static_assert(offsetof(struct ibv_reg_mr, core_payload.access_flags) == 0x2c, "REG_MR access");
_Static_assert(sizeof(struct ibv_rereg_mr) == 0x38, "REREG_MR request");
_Static_assert(offsetof(struct verbs_mr, mr_type) == 0x30, "verbs_mr.mr_type");
_Static_assert(offsetof(struct verbs_mr, access) == 0x34, "verbs_mr.access");

/*
 * ibv_cmd_create_cq() sends 0x28 core request bytes and expects 0x8 core
 * response bytes, ibv_cmd_create_cq_ex() 0x38 and 0x10, ibv_cmd_resize_cq()
 * 0x18 and 0x8 (it writes cq_handle and cqe at 0x10/0x14 of the request).
 */
_Static_assert(sizeof(struct ibv_create_cq) == 0x28, "CREATE_CQ request");
_Static_assert(sizeof(struct ib_uverbs_create_cq_resp) == 0x8, "CREATE_CQ response");
_Static_assert(sizeof(struct ibv_create_cq_ex) == 0x38, "EX_CREATE_CQ request");
_Static_assert(sizeof(struct ib_uverbs_ex_create_cq_resp) == 0x10, "EX_CREATE_CQ response");
_Static_assert(sizeof(struct ibv_resize_cq) == 0x18, "RESIZE_CQ request");
_Static_assert(offsetof(struct ibv_resize_cq, core_payload.cq_handle) == 0x10, "RESIZE_CQ handle");
_Static_assert(sizeof(struct ib_uverbs_resize_cq_resp) == 0x8, "RESIZE_CQ response");

/*
 * QP, SRQ and AH commands, read back from the v44 libibverbs.so.1:
 * ibv_cmd_create_qp_ex2() takes 0x58 core request and 0x28 core response
 * bytes (the rest is udata), ibv_cmd_create_srq() 0x28/0x10,
 * ibv_cmd_create_srq_ex() 0x38/0x10, ibv_cmd_modify_qp() sends 0x78 bytes,
 * ibv_cmd_query_qp() 0x18 and expects 0x80, ibv_cmd_modify_srq() and
 * ibv_cmd_query_srq() send 0x18.  ibv_qp_to_qp_ex() tests bit 1 of the
 * word at 0x160 (verbs_qp.comp_mask); the SRQ create writes srq_type,
 * xrcd, cq and srq_num at 0x80/0x88/0x90/0x98 of the verbs_srq.
 */
_Static_assert(sizeof(struct ibv_create_qp_ex) == 0x58, "CREATE_QP_EX request");
_Static_assert(sizeof(struct ib_uverbs_ex_create_qp_resp) == 0x28, "CREATE_QP_EX response");
_Static_assert(sizeof(struct ibv_create_srq) == 0x28, "CREATE_SRQ request");
_Static_assert(sizeof(struct ibv_create_xsrq) == 0x38, "CREATE_XSRQ request");
_Static_assert(sizeof(struct ib_uverbs_create_srq_resp) == 0x10, "CREATE_SRQ response");
_Static_assert(sizeof(struct ibv_modify_qp) == 0x78, "MODIFY_QP request");
_Static_assert(sizeof(struct ibv_query_qp) == 0x18, "QUERY_QP request");
_Static_assert(sizeof(struct ib_uverbs_query_qp_resp) == 0x80, "QUERY_QP response");
_Static_assert(sizeof(struct ibv_modify_srq) == 0x18, "MODIFY_SRQ request");
_Static_assert(sizeof(struct ibv_query_srq) == 0x18, "QUERY_SRQ request");
_Static_assert(sizeof(struct ib_uverbs_create_ah_resp) == 4, "CREATE_AH response");
_Static_assert(sizeof(struct ibv_post_send) == 0x20, "POST_SEND request");
_Static_assert(offsetof(struct verbs_qp, comp_mask) == 0x160, "verbs_qp.comp_mask");
_Static_assert(offsetof(struct verbs_srq, srq_type) == 0x80, "verbs_srq.srq_type");
_Static_assert(offsetof(struct verbs_srq, srq_num) == 0x98, "verbs_srq.srq_num");

#endif /* SROCE_VERBS_ABI_H */
