// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: address handles.  An AH resolves an address vector to a path
 * once; UD send WQEs name it by number (ah_num) and the requester takes a
 * reference per queued WQE (sroce_ah_get), so the path outlives a
 * destroy_ah that races with sends using it.  See struct sroce_ah.
 */

#include <rdma/uverbs_ioctl.h>

#include "sroce.h"

static void sroce_ah_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct sroce_ah, rcu));
}

int sroce_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
		    struct ib_udata *udata)
{
	struct sroce_dev *sdev = to_sdev(ibah->device);
	struct sroce_ibah *sibah = to_sibah(ibah);
	gfp_t gfp = (init->flags & RDMA_CREATE_AH_SLEEPABLE) ? GFP_KERNEL :
							      GFP_ATOMIC;
	struct sroce_create_ah_resp resp = {};
	struct sroce_ah *ah;
	int err;

	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;
	if (init->ah_attr->type != RDMA_AH_ATTR_TYPE_ROCE ||
	    !(rdma_ah_get_ah_flags(init->ah_attr) & IB_AH_GRH))
		return -EINVAL;
	if (atomic_inc_return(&sdev->num_ah) > SROCE_MAX_AH) {
		err = -ENOMEM;
		goto err_count;
	}
	ah = kzalloc(sizeof(*ah), gfp);
	if (!ah) {
		err = -ENOMEM;
		goto err_count;
	}
	err = sroce_path_init(sdev, &ah->path, init->ah_attr, 0);
	if (err)
		goto err_free;
	refcount_set(&ah->ref, 1);
	ah->pd = to_spd(ibah->pd);
	sibah->ah = ah;
	sibah->attr = *init->ah_attr;
	sibah->attr.grh.sgid_attr = NULL;	/* the path holds the reference */

	err = xa_alloc_cyclic(&sdev->ah_xa, &ah->ah_num, ah,
			      XA_LIMIT(1, SROCE_MAX_AH), &sdev->ah_next, gfp);
	if (err < 0)
		goto err_path;
	if (udata) {
		resp.ah_num = ah->ah_num;
		err = ib_copy_to_udata(udata, &resp,
				       min(sizeof(resp), udata->outlen));
		if (err)
			goto err_xa;
	}
	return 0;

err_xa:
	xa_erase(&sdev->ah_xa, ah->ah_num);
	synchronize_rcu();
err_path:
	sroce_path_release(&ah->path);
err_free:
	kfree(ah);
err_count:
	atomic_dec(&sdev->num_ah);
	return err;
}

int sroce_query_ah(struct ib_ah *ibah, struct rdma_ah_attr *attr)
{
	*attr = to_sibah(ibah)->attr;
	return 0;
}

struct sroce_ah *sroce_ah_get(struct sroce_dev *sdev, u32 ah_num,
			      struct sroce_pd *pd)
{
	struct sroce_ah *ah;

	rcu_read_lock();
	ah = xa_load(&sdev->ah_xa, ah_num);
	if (ah && (ah->pd != pd || !refcount_inc_not_zero(&ah->ref)))
		ah = NULL;
	rcu_read_unlock();
	return ah;
}

/* Any context. */
void sroce_ah_put(struct sroce_ah *ah)
{
	if (refcount_dec_and_test(&ah->ref)) {
		sroce_path_release(&ah->path);
		call_rcu(&ah->rcu, sroce_ah_free_rcu);
	}
}

int sroce_destroy_ah(struct ib_ah *ibah, u32 flags)
{
	struct sroce_dev *sdev = to_sdev(ibah->device);
	struct sroce_ah *ah = to_sibah(ibah)->ah;

	xa_erase(&sdev->ah_xa, ah->ah_num);
	sroce_ah_put(ah);
	atomic_dec(&sdev->num_ah);
	return 0;
}
