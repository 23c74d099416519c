// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Invalidation churn: a thread that drops --churn-size bytes of the
 * buffer (MADV_DONTNEED) every --churn messages while the bandwidth
 * engine keeps WRs in flight, moving through the buffer.  Local drops
 * are done here; remote ones are sent to the server as "C <off> <len>"
 * and done by it between its other work.  Every drop invalidates the
 * range in an ODP MR, which faults it back on the next access.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pt.h"

struct pt_churn {
	struct pt_ctx *c;
	struct pt_round *r;
	pthread_t thread;
	volatile bool stop;
	uint64_t churns;
	int err;
};

static void *churn_thread(void *arg)
{
	struct pt_churn *ch = arg;
	struct pt_ctx *c = ch->c;
	const struct pt_opts *o = c->o;
	size_t used = (size_t)ch->r->nslots * ch->r->stride;
	size_t len = o->churn_size, off = 0;
	uint64_t next = o->churn_every;

	used = (used + PT_PAGE - 1) & ~(PT_PAGE - 1);
	if (used > c->buf.map_len)
		used = c->buf.map_len;
	if (len > used)
		len = used;
	while (!ch->stop) {
		if (c->progress < next) {
			usleep(20);
			continue;
		}
		next = (c->progress / o->churn_every + 1) * o->churn_every;
		if (off + len > used)
			off = 0;
		if ((o->fault_side & PT_SIDE_LOCAL) &&
		    pt_drop(c, c->buf.p + off, len))
			goto err;
		if ((o->fault_side & PT_SIDE_REMOTE) &&
		    pt_send(c, "C %zu %zu", off, len))
			goto err;
		ch->churns++;
		off += len;
	}
	return NULL;
err:
	ch->err = -1;
	return NULL;
}

struct pt_churn *pt_churn_start(struct pt_ctx *c, struct pt_round *r)
{
	struct pt_churn *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	ch->c = c;
	ch->r = r;
	if (pthread_create(&ch->thread, NULL, churn_thread, ch)) {
		pt_err(c, "--churn: cannot start the thread");
		free(ch);
		return NULL;
	}
	return ch;
}

int pt_churn_stop(struct pt_churn *ch, struct pt_round *r)
{
	int err;

	ch->stop = true;
	pthread_join(ch->thread, NULL);
	r->churns = ch->churns;
	err = ch->err;
	free(ch);
	return err;
}

/* Server: "C <off> <len>" from the client's churn thread. */
int pt_churn_serve(struct pt_ctx *c, const char *line)
{
	unsigned long long off, len;

	if (sscanf(line, "C %llu %llu", &off, &len) != 2 ||
	    off + len > c->buf.map_len) {
		pt_err(c, "out-of-band: bad churn request '%s'", line);
		return -1;
	}
	return pt_drop(c, c->buf.p + off, len);
}
