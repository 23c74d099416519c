// SPDX-License-Identifier: GPL-2.0
/*
 * vmrun_selftest: a module that misbehaves on request, so that the VM harness
 * can show that it notices.  Loaded by tests/vm/selftest/run inside vmrun:
 *
 *   action=none   load quietly (the default)
 *   action=warn   WARN in module init, then load
 *   action=oops   dereference NULL in module init: an Oops kills modprobe
 *
 * The "fs-vmrunselftest" alias lets "mount -t vmrunselftest" load it through
 * the kernel's request_module(), which is how module autoload is tested.
 */

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/bug.h>
#include <linux/string.h>

static char *action = "none";
module_param(action, charp, 0444);
MODULE_PARM_DESC(action, "none, warn or oops");

static int __init vmrun_selftest_init(void)
{
	int *volatile nowhere = NULL;

	pr_info("vmrun_selftest: loading, action=%s\n", action);
	if (!strcmp(action, "warn"))
		WARN(1, "vmrun_selftest: warning on request\n");
	else if (!strcmp(action, "oops"))
		*nowhere = 1;
	return 0;
}

static void __exit vmrun_selftest_exit(void)
{
	pr_info("vmrun_selftest: unloading\n");
}

module_init(vmrun_selftest_init);
module_exit(vmrun_selftest_exit);

MODULE_DESCRIPTION("Misbehaves on request to test the sroce VM harness");
MODULE_LICENSE("GPL");
MODULE_ALIAS("fs-vmrunselftest");
