// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: device, port, user context and protection domain verbs.
 */

#include <linux/ethtool.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_mad.h>
#include <rdma/uverbs_ioctl.h>

#include "sroce.h"
#include "sroce_odp.h"

int sroce_query_device(struct ib_device *ibdev, struct ib_device_attr *attr,
		       struct ib_udata *udata)
{
	struct sroce_dev *sdev = to_sdev(ibdev);

	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EINVAL;

	memset(attr, 0, sizeof(*attr));
	attr->fw_ver = SROCE_FW_VER;
	attr->sys_image_guid = sdev->ibdev.node_guid;
	attr->max_mr_size = U64_MAX;
	attr->page_size_cap = PAGE_SIZE;
	attr->vendor_id = SROCE_VENDOR_ID;
	attr->vendor_part_id = SROCE_VENDOR_PART_ID;
	attr->hw_ver = 0;
	attr->max_qp = SROCE_MAX_QP;
	attr->max_qp_wr = SROCE_MAX_QP_WR;
	attr->max_send_sge = SROCE_MAX_SGE;
	attr->max_recv_sge = SROCE_MAX_SGE;
	attr->max_sge_rd = SROCE_MAX_SGE;
	attr->max_cq = SROCE_MAX_CQ;
	attr->max_cqe = SROCE_MAX_CQE;
	attr->max_mr = SROCE_MAX_MR;
	attr->max_pd = SROCE_MAX_PD;
	attr->max_qp_rd_atom = SROCE_MAX_RD_ATOM;
	attr->max_qp_init_rd_atom = SROCE_MAX_RD_ATOM;
	attr->max_res_rd_atom = SROCE_MAX_QP * SROCE_MAX_RD_ATOM;
	attr->max_srq = SROCE_MAX_SRQ;
	attr->max_srq_wr = SROCE_MAX_SRQ_WR;
	attr->max_srq_sge = SROCE_MAX_SGE;
	attr->max_ah = SROCE_MAX_AH;
	attr->max_fast_reg_page_list_len = SROCE_MAX_FRMR_PAGES;
	attr->max_pkeys = SROCE_PKEY_TBL_LEN;
	attr->local_ca_ack_delay = SROCE_LOCAL_ACK_DELAY;
	/*
	 * Only what the data path implements: 8-byte atomics, atomic with
	 * respect to other atomics of this device (the responder runs them
	 * with CPU atomics on the target page), RNR NAK generation, on-demand
	 * paging (explicit and implicit) for every RC and UD operation, and
	 * for kernel consumers the memory management extensions (fast-reg
	 * MRs: REG_MR, LOCAL_INV, SEND_WITH_INV).  No masked atomics, no
	 * memory windows, no SG_GAPS MRs, no RDMA READ with invalidate.
	 */
	attr->device_cap_flags = IB_DEVICE_RC_RNR_NAK_GEN |
				 IB_DEVICE_MEM_MGT_EXTENSIONS;
	attr->atomic_cap = IB_ATOMIC_HCA;
	attr->masked_atomic_cap = IB_ATOMIC_NONE;
	attr->kernel_cap_flags = IBK_ALLOW_USER_UNREG;
	sroce_odp_query_device(attr);
	return 0;
}

int sroce_query_port(struct ib_device *ibdev, u32 port,
		     struct ib_port_attr *attr)
{
	struct sroce_dev *sdev = to_sdev(ibdev);
	enum ib_port_state state = sroce_port_state(sdev);
	enum ib_mtu mtu = iboe_get_mtu(READ_ONCE(sdev->ndev->mtu));
	const struct ethtool_ops *ops;

	/* ib_core zeroed *attr and validated @port. */
	attr->state = state;
	attr->phys_state = state == IB_PORT_ACTIVE ?
			   IB_PORT_PHYS_STATE_LINK_UP :
			   IB_PORT_PHYS_STATE_DISABLED;
	attr->max_mtu = IB_MTU_4096;
	attr->active_mtu = mtu ? mtu : IB_MTU_256;
	attr->phys_mtu = ib_mtu_enum_to_int(IB_MTU_4096);
	attr->gid_tbl_len = SROCE_GID_TBL_LEN;
	attr->ip_gids = true;
	/* ib_cm serves the port (rdma_cm over QP1, sroce_create_qp()). */
	attr->port_cap_flags = IB_PORT_CM_SUP;
	attr->max_msg_sz = SROCE_MAX_MSG_SZ;
	attr->pkey_tbl_len = SROCE_PKEY_TBL_LEN;
	attr->max_vl_num = 1;

	/*
	 * Netdevs without link settings (lo, dummy) have no speed; report
	 * the same default ib_get_eth_speed() would, without its warning.
	 */
	ops = sdev->ndev->ethtool_ops;
	if (!ops || !ops->get_link_ksettings) {
		attr->active_speed = IB_SPEED_SDR;
		attr->active_width = IB_WIDTH_1X;
		return 0;
	}
	return ib_get_eth_speed(ibdev, port, &attr->active_speed,
				&attr->active_width);
}

int sroce_get_port_immutable(struct ib_device *ibdev, u32 port,
			     struct ib_port_immutable *immutable)
{
	struct ib_port_attr attr = {};
	int err;

	err = ib_query_port(ibdev, port, &attr);
	if (err)
		return err;

	immutable->pkey_tbl_len = attr.pkey_tbl_len;
	immutable->gid_tbl_len = attr.gid_tbl_len;
	/*
	 * A RoCEv2 port with a GSI QP (QP1): ib_mad opens it, ib_cm and so
	 * rdma_cm run over it.  No SMI (RoCE has no subnet manager) and no
	 * SA; MADs are the 256-byte IB management MADs.
	 */
	immutable->core_cap_flags = RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP;
	immutable->max_mad_size = IB_MGMT_MAD_SIZE;
	return 0;
}

enum rdma_link_layer sroce_get_link_layer(struct ib_device *ibdev, u32 port)
{
	return IB_LINK_LAYER_ETHERNET;
}

int sroce_query_pkey(struct ib_device *ibdev, u32 port, u16 index, u16 *pkey)
{
	if (index >= SROCE_PKEY_TBL_LEN)
		return -EINVAL;
	*pkey = IB_DEFAULT_PKEY_FULL;
	return 0;
}

void sroce_get_dev_fw_str(struct ib_device *ibdev, char *str)
{
	snprintf(str, IB_FW_VERSION_NAME_MAX, "%s", SROCE_VERSION);
}

int sroce_alloc_ucontext(struct ib_ucontext *ibuc, struct ib_udata *udata)
{
	struct sroce_dev *sdev = to_sdev(ibuc->device);
	struct sroce_alloc_ucontext_resp resp = {
		.abi_version = SROCE_UVERBS_ABI_VERSION,
		.features = 0,
		.page_size = PAGE_SIZE,
	};
	int err;

	if (udata->inlen && !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;

	err = ib_copy_to_udata(udata, &resp, min(sizeof(resp), udata->outlen));
	if (err)
		return err;

	atomic_inc(&sdev->num_ucontext);
	return 0;
}

void sroce_dealloc_ucontext(struct ib_ucontext *ibuc)
{
	struct sroce_dev *sdev = to_sdev(ibuc->device);

	atomic_dec(&sdev->num_ucontext);
}

/*
 * The device is going away while a process still holds this context.
 * ib_core has already zapped every mapping of our mmap entries (the
 * process now sees the zero page) and will destroy the context's objects
 * itself; a context owns no state of its own to quiesce.
 */
void sroce_disassociate_ucontext(struct ib_ucontext *ibuc)
{
}

int sroce_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	struct sroce_dev *sdev = to_sdev(ibpd->device);
	struct sroce_pd *pd = to_spd(ibpd);
	struct sroce_alloc_pd_resp resp = {};
	int id, err;

	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;

	id = ida_alloc_max(&sdev->pd_ida, SROCE_MAX_PD - 1, GFP_KERNEL);
	if (id < 0)
		return id == -ENOSPC ? -ENOMEM : id;
	pd->pdn = id;

	if (udata) {
		resp.pdn = pd->pdn;
		err = ib_copy_to_udata(udata, &resp,
				       min(sizeof(resp), udata->outlen));
		if (err)
			goto err_free;
	}

	atomic_inc(&sdev->num_pd);
	return 0;

err_free:
	ida_free(&sdev->pd_ida, id);
	return err;
}

int sroce_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	struct sroce_dev *sdev = to_sdev(ibpd->device);
	struct sroce_pd *pd = to_spd(ibpd);

	ida_free(&sdev->pd_ida, pd->pdn);
	atomic_dec(&sdev->num_pd);
	return 0;
}
