// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * First-touch: every pass over the buffer starts on fresh pages.  The
 * client drops its own slots (--fault-side local) and asks the server to
 * drop its slots (remote) with MADV_DONTNEED; an ODP MR then faults each
 * page back in on its first RDMA access.
 */
#include <stdlib.h>
#include <string.h>

#include "pt.h"

static size_t used_bytes(struct pt_ctx *c, struct pt_round *r)
{
	size_t len = (size_t)r->nslots * r->stride;

	return len > c->buf.len ? c->buf.len : len;
}

static uint64_t pages_of(size_t len)
{
	return (len + PT_PAGE - 1) / PT_PAGE;
}

/* Client: drop the pages of the side(s) asked for; count them. */
int pt_touch_pass(struct pt_ctx *c, struct pt_round *r)
{
	size_t len = used_bytes(c, r);

	if (c->o->fault_side & PT_SIDE_LOCAL) {
		if (pt_drop(c, c->buf.p, len))
			return -1;
		r->pages_dropped += pages_of(len);
	}
	if (c->o->fault_side & PT_SIDE_REMOTE) {
		if (pt_ctl_drop(c))
			return -1;
		r->pages_dropped += pages_of(len);
	}
	r->passes++;
	return 0;
}

/* Server: the client asked for a drop of our slots. */
int pt_touch_serve(struct pt_ctx *c, struct pt_round *r)
{
	return pt_drop(c, c->buf.p, used_bytes(c, r));
}

/*
 * @p (@len bytes of slot @slot) holds the slot's pattern.  If churn drops
 * this side's pages, a page may also have been dropped after the last
 * write: a part of @p within one page that is all zeros passes too.
 */
int pt_check_bytes(struct pt_round *r, const uint8_t *p, size_t len,
		   uint32_t slot, size_t *bad)
{
	uint8_t *want;
	size_t off = 0;
	int ret = 0;

	if (!r->churned_here)
		return pt_pattern_check(p, len, r->seed, slot, bad);
	want = malloc(len);
	if (!want)
		return pt_pattern_check(p, len, r->seed, slot, bad);
	pt_pattern(want, len, r->seed, slot);
	while (off < len && !ret) {
		size_t seg = PT_PAGE - ((uintptr_t)(p + off) & (PT_PAGE - 1));
		size_t i;

		if (seg > len - off)
			seg = len - off;
		if (memcmp(p + off, want + off, seg)) {
			for (i = 0; i < seg && !p[off + i]; i++)
				;
			if (i < seg) {
				for (i = 0; p[off + i] == want[off + i]; i++)
					;
				*bad = off + i;
				ret = -1;
			}
		}
		off += seg;
	}
	free(want);
	return ret;
}

/*
 * Check the slots that a round of @n messages wrote into this side's
 * buffer.  With first-touch, the last pass may be partial: the slots it
 * did not reach were dropped at its start and read back as zeros.
 */
int pt_check_written(struct pt_ctx *c, struct pt_round *r, uint64_t n,
		     const char *what)
{
	uint64_t used = n < r->nslots ? n : r->nslots;
	uint64_t last = n % r->nslots;
	size_t bad;

	for (uint32_t s = 0; s < used; s++) {
		const uint8_t *p = pt_slot(c, r, s);
		bool rewritten = !r->dropped_here || !last || s < last;

		if (!rewritten) {
			for (bad = 0; bad < r->size && !p[bad]; bad++)
				;
			if (bad == r->size)
				continue;
			snprintf(r->why, sizeof(r->why), "slot %u byte %zu: "
				 "dropped by first-touch and not written again, "
				 "but not zero", s, bad);
			return -1;
		}
		if (pt_check_bytes(r, p, r->size, s, &bad)) {
			snprintf(r->why, sizeof(r->why), "slot %u byte %zu "
				 "differs from %s", s, bad, what);
			return -1;
		}
	}
	return 0;
}
