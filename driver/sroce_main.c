// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: module init/exit, "rdma link" handling, device lifetime and the
 * netdev/address events that drive port state and the GID table.
 */

#include <linux/module.h>
#include <linux/inetdevice.h>
#include <linux/if_arp.h>
#include <linux/jhash.h>
#include <net/addrconf.h>
#include <net/if_inet6.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>
#include <rdma/rdma_netlink.h>

#include "sroce.h"
#include "sroce_odp.h"

/*
 * All sroce devices.  sroce_dev_lock (a spinlock: the inet6 address
 * notifier runs in atomic context) serialises changes to sroce_dev_list
 * and the notifiers' walks; it is a leaf lock, nothing sleeps or takes
 * another lock under it.  Receive looks devices up per packet under RCU
 * only (sroce_dev_get_by_ndev()): entries are added and removed with the
 * _rcu list primitives, and sroce_dealloc_driver() waits for a grace
 * period before the memory can go.  A device is on the list from just
 * before ib_register_device() until sroce_dealloc_driver().
 */
static LIST_HEAD(sroce_dev_list);
static DEFINE_SPINLOCK(sroce_dev_lock);

static bool sroce_selftest;
module_param_named(selftest, sroce_selftest, bool, 0444);
MODULE_PARM_DESC(selftest,
		 "Run the self-tests (memory seam, CQ ring) at load; a failure fails the load");

/* Caller must hold sroce_dev_lock. */
static struct sroce_dev *sroce_find_dev_locked(const struct net_device *ndev)
{
	struct sroce_dev *sdev;

	list_for_each_entry(sdev, &sroce_dev_list, list)
		if (sdev->ndev == ndev)
			return sdev;
	return NULL;
}

/*
 * The device bound to @ndev, with a registration reference (release with
 * ib_device_put()), or NULL.  Any context; used by receive.
 */
struct sroce_dev *sroce_dev_get_by_ndev(struct net_device *ndev)
{
	struct sroce_dev *sdev, *found = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(sdev, &sroce_dev_list, list) {
		if (sdev->ndev == ndev) {
			if (ib_device_try_get(&sdev->ibdev))
				found = sdev;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

/* Is @gid one of @sdev's own RoCEv2 GIDs (a loopback destination)? */
bool sroce_gid_is_local(struct sroce_dev *sdev, const union ib_gid *gid)
{
	const struct ib_gid_attr *attr;

	attr = rdma_find_gid_by_port(&sdev->ibdev, gid,
				     IB_GID_TYPE_ROCE_UDP_ENCAP, 1, NULL);
	if (IS_ERR(attr))
		return false;
	rdma_put_gid_attr(attr);
	return true;
}

enum ib_port_state sroce_port_state(struct sroce_dev *sdev)
{
	struct net_device *ndev = sdev->ndev;

	if (netif_running(ndev) && netif_oper_up(ndev) &&
	    iboe_get_mtu(READ_ONCE(ndev->mtu)))
		return IB_PORT_ACTIVE;
	return IB_PORT_DOWN;
}

/*
 * Report a port state change as an IB event, once per transition.
 * Called from the netdev notifier (RTNL held, process context).
 */
static void sroce_port_event(struct sroce_dev *sdev)
{
	enum ib_port_state state = sroce_port_state(sdev);
	struct ib_event event = {
		.device = &sdev->ibdev,
		.element.port_num = 1,
	};
	bool changed;

	spin_lock_bh(&sdev->port_lock);
	changed = sdev->port_state != state;
	sdev->port_state = state;
	spin_unlock_bh(&sdev->port_lock);

	if (!changed)
		return;

	event.event = state == IB_PORT_ACTIVE ? IB_EVENT_PORT_ACTIVE :
						IB_EVENT_PORT_ERR;
	ib_dispatch_event(&event);
	dev_info(&sdev->ibdev.dev, "port 1 %s (netdev %s)\n",
		 state == IB_PORT_ACTIVE ? "active" : "down", sdev->ndev->name);
}

/*
 * GID rescan for netdevs ib_core does not follow (see compat.h).  Runs on
 * system_wq; holds a registration reference so it never touches a device
 * whose GID cache is being torn down.
 */
static void sroce_gid_work(struct work_struct *work)
{
	struct sroce_dev *sdev = container_of(work, struct sroce_dev, gid_work);
	bool del;

	if (!ib_device_try_get(&sdev->ibdev))
		return;

	spin_lock_bh(&sroce_dev_lock);
	del = sdev->gid_del_pending;
	sdev->gid_del_pending = false;
	spin_unlock_bh(&sroce_dev_lock);

	if (del)
		sroce_compat_del_netdev_gids(&sdev->ibdev, 1, sdev->ndev);
	rdma_roce_rescan_device(&sdev->ibdev);
	ib_device_put(&sdev->ibdev);
}

/* Address event on @ndev: rescan its sroce device if ib_core will not. */
static void sroce_addr_event(struct net_device *ndev, unsigned long event)
{
	struct sroce_dev *sdev;

	if (ndev->type == ARPHRD_ETHER)
		return;		/* ib_core's roce_gid_mgmt handles these */
	if (event != NETDEV_UP && event != NETDEV_DOWN)
		return;

	spin_lock_bh(&sroce_dev_lock);
	sdev = sroce_find_dev_locked(ndev);
	if (sdev) {
		if (event == NETDEV_DOWN && SROCE_HAVE_GID_DELETE)
			sdev->gid_del_pending = true;
		queue_work(system_wq, &sdev->gid_work);
	}
	spin_unlock_bh(&sroce_dev_lock);
}

static int sroce_inetaddr_event(struct notifier_block *nb,
				unsigned long event, void *ptr)
{
	struct in_ifaddr *ifa = ptr;

	sroce_addr_event(ifa->ifa_dev->dev, event);
	return NOTIFY_DONE;
}

static int sroce_inet6addr_event(struct notifier_block *nb,
				 unsigned long event, void *ptr)
{
	struct inet6_ifaddr *ifa6 = ptr;

	sroce_addr_event(ifa6->idev->dev, event);
	return NOTIFY_DONE;
}

static struct notifier_block sroce_inetaddr_nb = {
	.notifier_call = sroce_inetaddr_event,
};

static struct notifier_block sroce_inet6addr_nb = {
	.notifier_call = sroce_inet6addr_event,
};

/* Netdev events, called with RTNL held. */
static int sroce_netdev_event(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct net_device *ndev = netdev_notifier_info_to_dev(ptr);
	struct sroce_dev *sdev;

	/*
	 * The device cannot be freed under us: freeing needs its
	 * unregistration, which for our netdev only this notifier or
	 * "rdma link delete"/module unload start, and sroce_dealloc_driver()
	 * takes it off the list before anything is freed.  Pin it with a
	 * registration reference for the duration of the event.
	 */
	spin_lock_bh(&sroce_dev_lock);
	sdev = sroce_find_dev_locked(ndev);
	if (sdev && !ib_device_try_get(&sdev->ibdev))
		sdev = NULL;
	spin_unlock_bh(&sroce_dev_lock);
	if (!sdev)
		return NOTIFY_DONE;

	switch (event) {
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:
	case NETDEV_CHANGEMTU:
		sroce_port_event(sdev);
		break;
	case NETDEV_UNREGISTER:
		dev_info(&sdev->ibdev.dev, "netdev %s going away, removing device\n",
			 ndev->name);
		ib_unregister_device_queued(&sdev->ibdev);
		break;
	default:
		break;
	}

	ib_device_put(&sdev->ibdev);
	return NOTIFY_DONE;
}

static struct notifier_block sroce_netdev_nb = {
	.notifier_call = sroce_netdev_event,
};

/*
 * Node GUID: EUI-64 of the MAC address, as RoCE NICs do.  Netdevs without
 * a MAC (lo) get a stable, locally administered one derived from the
 * netdev's name and network namespace instead.
 */
static void sroce_set_node_guid(struct sroce_dev *sdev)
{
	struct net_device *ndev = sdev->ndev;
	u8 mac[ETH_ALEN];
	u32 h;

	if (ndev->addr_len == ETH_ALEN && is_valid_ether_addr(ndev->dev_addr)) {
		ether_addr_copy(mac, ndev->dev_addr);
	} else {
		h = jhash(ndev->name, strnlen(ndev->name, IFNAMSIZ),
			  dev_net(ndev)->ns.inum);
		mac[0] = 0x02;		/* locally administered, unicast */
		mac[1] = 0x53;		/* 'S' */
		mac[2] = h >> 24;
		mac[3] = h >> 16;
		mac[4] = h >> 8;
		mac[5] = h;
	}
	addrconf_addr_eui48((u8 *)&sdev->ibdev.node_guid, mac);
}

static void sroce_dealloc_driver(struct ib_device *ibdev);

static const struct ib_device_ops sroce_dev_ops = {
	.owner = THIS_MODULE,
	.driver_id = RDMA_DRIVER_UNKNOWN,
	.uverbs_abi_ver = SROCE_UVERBS_ABI_VERSION,

	.advise_mr = sroce_advise_mr,
	.alloc_hw_port_stats = sroce_alloc_hw_port_stats,
	.alloc_mr = sroce_alloc_mr,
	.alloc_pd = sroce_alloc_pd,
	.alloc_ucontext = sroce_alloc_ucontext,
	.create_ah = sroce_create_ah,
	.create_cq = sroce_create_cq,
	.create_qp = sroce_create_qp,
	.create_srq = sroce_create_srq,
	.create_user_ah = sroce_create_ah,
	.dealloc_driver = sroce_dealloc_driver,
	.dealloc_pd = sroce_dealloc_pd,
	.dealloc_ucontext = sroce_dealloc_ucontext,
	.dereg_mr = sroce_dereg_mr,
	.destroy_ah = sroce_destroy_ah,
	.destroy_cq = sroce_destroy_cq,
	.destroy_qp = sroce_destroy_qp,
	.destroy_srq = sroce_destroy_srq,
	.disassociate_ucontext = sroce_disassociate_ucontext,
	.fill_res_cq_entry = sroce_fill_res_cq_entry,
	.fill_res_mr_entry = sroce_fill_res_mr_entry,
	.fill_stat_mr_entry = sroce_fill_stat_mr_entry,
	.get_dev_fw_str = sroce_get_dev_fw_str,
	.get_dma_mr = sroce_get_dma_mr,
	.get_hw_stats = sroce_get_hw_stats,
	.get_link_layer = sroce_get_link_layer,
	.get_port_immutable = sroce_get_port_immutable,
	.map_mr_sg = sroce_map_mr_sg,
	.mmap = sroce_mmap,
	.mmap_free = sroce_mmap_free,
	.modify_qp = sroce_modify_qp,
	.modify_srq = sroce_modify_srq,
	.poll_cq = sroce_poll_cq,
	.post_recv = sroce_post_recv,
	.post_send = sroce_post_send,
	.post_srq_recv = sroce_post_srq_recv,
	.query_ah = sroce_query_ah,
	.query_device = sroce_query_device,
	.query_pkey = sroce_query_pkey,
	.query_port = sroce_query_port,
	.query_qp = sroce_query_qp,
	.query_srq = sroce_query_srq,
	.reg_user_mr = sroce_reg_user_mr,
	.req_notify_cq = sroce_req_notify_cq,
	.rereg_user_mr = sroce_rereg_user_mr,
	.resize_cq = sroce_resize_cq,

	INIT_RDMA_OBJ_SIZE(ib_ah, sroce_ibah, ibah),
	INIT_RDMA_OBJ_SIZE(ib_cq, sroce_cq, ibcq),
	INIT_RDMA_OBJ_SIZE(ib_pd, sroce_pd, ibpd),
	INIT_RDMA_OBJ_SIZE(ib_qp, sroce_qp, ibqp),
	INIT_RDMA_OBJ_SIZE(ib_srq, sroce_srq, ibsrq),
	INIT_RDMA_OBJ_SIZE(ib_ucontext, sroce_ucontext, ibuc),
};

/*
 * Called by ib_dealloc_device(): after a successful registration once the
 * device is unregistered and no verb can reach it any more, or from the
 * error unwind of sroce_newlink().  Undoes everything sroce_newlink() set
 * up; ib_core frees the memory after.
 */
static void sroce_dealloc_driver(struct ib_device *ibdev)
{
	struct sroce_dev *sdev = to_sdev(ibdev);

	spin_lock_bh(&sroce_dev_lock);
	if (sdev->listed)
		list_del_rcu(&sdev->list);
	sdev->listed = false;
	spin_unlock_bh(&sroce_dev_lock);
	/* Receive may have found it just before: wait for it to let go. */
	synchronize_rcu();
	/* Off the list, nobody can queue it again. */
	cancel_work_sync(&sdev->gid_work);
	/* Off the list, receive cannot find it: release the wire. */
	sroce_net_dev_close(sdev);
	sroce_stats_fini(sdev);

	WARN_ON(atomic_read(&sdev->num_pd) || atomic_read(&sdev->num_ucontext));
	WARN_ON(atomic_read(&sdev->num_cq));
	ida_destroy(&sdev->pd_ida);
	WARN_ON(!xa_empty(&sdev->qp_xa) || !xa_empty(&sdev->ah_xa));
	xa_destroy(&sdev->qp_xa);
	xa_destroy(&sdev->ah_xa);
	ida_destroy(&sdev->srq_ida);
	sroce_mr_table_destroy(&sdev->mrs);
	netdev_put(sdev->ndev, &sdev->ndev_tracker);
}

static int sroce_check_link(const char *ibdev_name, struct net_device *ndev)
{
	struct ib_device *other;
	bool busy;

	/*
	 * The provider recognises sroce devices by name (an out-of-tree
	 * driver has no driver id of its own), so every name carries the
	 * prefix; this also keeps clear of rdma_rxe's "rxe" names.
	 */
	if (strncmp(ibdev_name, SROCE_IBDEV_PREFIX, strlen(SROCE_IBDEV_PREFIX))) {
		pr_err("sroce: device name %s: sroce device names must start with \"%s\"\n",
		       ibdev_name, SROCE_IBDEV_PREFIX);
		return -EINVAL;
	}
	if (ndev->type != ARPHRD_ETHER && ndev->type != ARPHRD_LOOPBACK) {
		pr_err("sroce: netdev %s is not an Ethernet or loopback device (type %u)\n",
		       ndev->name, ndev->type);
		return -EPROTONOSUPPORT;
	}

	other = ib_device_get_by_name(ibdev_name, RDMA_DRIVER_UNKNOWN);
	if (other) {
		ib_device_put(other);
		pr_err("sroce: an RDMA device named %s already exists\n",
		       ibdev_name);
		return -EEXIST;
	}

	spin_lock_bh(&sroce_dev_lock);
	busy = sroce_find_dev_locked(ndev);
	spin_unlock_bh(&sroce_dev_lock);
	if (busy) {
		pr_err("sroce: netdev %s already has an sroce device\n",
		       ndev->name);
		return -EEXIST;
	}
	return 0;
}

/* "rdma link add NAME type sroce netdev NDEV" */
static int sroce_newlink(const char *ibdev_name, struct net_device *ndev)
{
	struct sroce_dev *sdev;
	int err;

	err = sroce_check_link(ibdev_name, ndev);
	if (err)
		return err;

	sdev = ib_alloc_device(sroce_dev, ibdev);
	if (!sdev)
		return -ENOMEM;

	/* From here on ib_dealloc_device() unwinds via sroce_dealloc_driver(). */
	INIT_LIST_HEAD(&sdev->list);
	sdev->ndev = ndev;
	netdev_hold(ndev, &sdev->ndev_tracker, GFP_KERNEL);
	spin_lock_init(&sdev->port_lock);
	sdev->port_state = sroce_port_state(sdev);
	INIT_WORK(&sdev->gid_work, sroce_gid_work);
	ida_init(&sdev->pd_ida);
	atomic_set(&sdev->num_ucontext, 0);
	atomic_set(&sdev->num_pd, 0);
	atomic_set(&sdev->num_cq, 0);
	xa_init_flags(&sdev->qp_xa, XA_FLAGS_ALLOC);
	atomic_set(&sdev->num_qp, 0);
	xa_init_flags(&sdev->ah_xa, XA_FLAGS_ALLOC1);
	atomic_set(&sdev->num_ah, 0);
	ida_init(&sdev->srq_ida);
	atomic_set(&sdev->num_srq, 0);

	sdev->ibdev.node_type = RDMA_NODE_IB_CA;
	sdev->ibdev.phys_port_cnt = 1;
	/*
	 * Completion vectors have no interrupt behind them: a CQ's handler
	 * runs where its completion is produced, whatever the vector.  One
	 * per CPU, as rdma_rxe and siw, since ULPs size their parallelism by
	 * it (6.1's nvme-rdma creates no more I/O queues than vectors,
	 * ib_cq_pool one CQ per vector and CPU).
	 */
	sdev->ibdev.num_comp_vectors = num_possible_cpus();
	/*
	 * ib_core enables the uverbs write commands of the ops a driver has,
	 * except the data-path ones.  Arming a CQ is a command, and so is
	 * the send queue doorbell (a POST_SEND without work requests);
	 * polling and posting receives are not (the library uses the rings).
	 */
	sdev->ibdev.uverbs_cmd_mask |= BIT_ULL(IB_USER_VERBS_CMD_REQ_NOTIFY_CQ) |
				       BIT_ULL(IB_USER_VERBS_CMD_POST_SEND);
	strscpy(sdev->ibdev.node_desc, "sroce", sizeof(sdev->ibdev.node_desc));
	sroce_set_node_guid(sdev);
	ib_set_device_ops(&sdev->ibdev, &sroce_dev_ops);

	err = sroce_mr_table_init(&sdev->mrs);
	if (err)
		goto err_dealloc;
	err = sroce_stats_init(sdev);
	if (err)
		goto err_dealloc;

	err = ib_device_set_netdev(&sdev->ibdev, ndev, 1);
	if (err)
		goto err_dealloc;

	/*
	 * Publish before registering: registration scans the GIDs, and an
	 * address event racing with it must find the device to rescan.
	 * The gid work holds off until the registration completes, as
	 * ib_device_try_get() fails before that.
	 */
	spin_lock_bh(&sroce_dev_lock);
	if (sroce_find_dev_locked(ndev)) {
		spin_unlock_bh(&sroce_dev_lock);
		pr_err("sroce: netdev %s already has an sroce device\n",
		       ndev->name);
		err = -EEXIST;
		goto err_dealloc;
	}
	list_add_tail_rcu(&sdev->list, &sroce_dev_list);
	sdev->listed = true;
	spin_unlock_bh(&sroce_dev_lock);

	err = sroce_net_dev_open(sdev);
	if (err)
		goto err_dealloc;

	err = ib_register_device(&sdev->ibdev, ibdev_name, NULL);
	if (err) {
		pr_err("sroce: registering %s on %s failed: %d\n", ibdev_name,
		       ndev->name, err);
		goto err_dealloc;
	}

	dev_info(&sdev->ibdev.dev, "added on netdev %s\n", ndev->name);
	return 0;

err_dealloc:
	ib_dealloc_device(&sdev->ibdev);
	return err;
}

static struct rdma_link_ops sroce_link_ops = {
	.type = "sroce",
	.newlink = sroce_newlink,
};

/*
 * Pin the memory of the first device on the list, or return NULL when the
 * list is empty.  The device may be registered or in the middle of an
 * unregistration someone else started.
 */
static struct sroce_dev *sroce_first_dev(void)
{
	struct sroce_dev *sdev;

	spin_lock_bh(&sroce_dev_lock);
	sdev = list_first_entry_or_null(&sroce_dev_list, struct sroce_dev,
					list);
	if (sdev)
		get_device(&sdev->ibdev.dev);
	spin_unlock_bh(&sroce_dev_lock);
	return sdev;
}

static int __init sroce_init(void)
{
	int err;

	if (sroce_selftest) {
		err = sroce_selftest_run();
		if (err)
			return err;
		err = sroce_cq_selftest();
		if (err)
			return err;
	}

	/*
	 * QP engines: unbound, high priority, as applications busy-poll their
	 * CQs on the same CPUs and a completion must not wait for their time
	 * slice; they may sleep in MR copies and requester-side faults.  Long
	 * faults, prefetches and reclaim go to sroce_wq.
	 * WQ_MEM_RECLAIM: kernel storage ULPs (nvme-rdma, iSER, NFS/RDMA) run
	 * writeback through the engines, and tear queues down from their own
	 * WQ_MEM_RECLAIM workqueues (nvme-delete-wq, ...) where moving a QP to
	 * the error state or destroying it flushes the QP's work: the engines
	 * need a rescuer so that I/O issued under memory pressure completes.
	 */
	sroce_engine_wq = alloc_workqueue("sroce_engine",
					  WQ_UNBOUND | WQ_HIGHPRI | WQ_MEM_RECLAIM, 0);
	if (!sroce_engine_wq)
		return -ENOMEM;
	sroce_wq = alloc_workqueue("sroce", WQ_UNBOUND, 0);
	if (!sroce_wq) {
		err = -ENOMEM;
		goto err_engine_wq;
	}
	err = sroce_net_init();
	if (err)
		goto err_wq;

	err = register_netdevice_notifier(&sroce_netdev_nb);
	if (err)
		goto err_net;
	err = register_inetaddr_notifier(&sroce_inetaddr_nb);
	if (err)
		goto err_netdev;
	err = register_inet6addr_notifier(&sroce_inet6addr_nb);
	if (err)
		goto err_inet;

	rdma_link_register(&sroce_link_ops);
	pr_info("sroce: loaded, version %s\n", SROCE_VERSION);
	return 0;

err_inet:
	unregister_inetaddr_notifier(&sroce_inetaddr_nb);
err_netdev:
	unregister_netdevice_notifier(&sroce_netdev_nb);
err_net:
	sroce_net_exit();
err_wq:
	destroy_workqueue(sroce_wq);
err_engine_wq:
	destroy_workqueue(sroce_engine_wq);
	return err;
}

static void __exit sroce_exit(void)
{
	struct sroce_dev *sdev;

	rdma_link_unregister(&sroce_link_ops);

	/*
	 * No new device can appear: rdma_link_unregister() waited for any
	 * "rdma link add" in flight.  Not ib_unregister_driver(): with
	 * RDMA_DRIVER_UNKNOWN it would take other out-of-tree drivers'
	 * devices too.  ib_unregister_device() is fenced against concurrent
	 * unregistrations of the same device (a netdev going away): when it
	 * returns, sroce_dealloc_driver() has run and returned, so no code of
	 * this module is executing for that device any more.
	 */
	while ((sdev = sroce_first_dev())) {
		ib_unregister_device(&sdev->ibdev);
		put_device(&sdev->ibdev.dev);
	}

	unregister_inet6addr_notifier(&sroce_inet6addr_nb);
	unregister_inetaddr_notifier(&sroce_inetaddr_nb);
	unregister_netdevice_notifier(&sroce_netdev_nb);
	sroce_net_exit();
	destroy_workqueue(sroce_wq);
	destroy_workqueue(sroce_engine_wq);
	rcu_barrier();		/* address handles are freed by call_rcu */
	pr_info("sroce: unloaded\n");
}

module_init(sroce_init);
module_exit(sroce_exit);

MODULE_DESCRIPTION("Software RoCEv2 RDMA device with on-demand paging");
MODULE_AUTHOR("The sroce developers");
MODULE_LICENSE("Dual BSD/GPL");
MODULE_VERSION(SROCE_VERSION);
MODULE_ALIAS_RDMA_LINK("sroce");
