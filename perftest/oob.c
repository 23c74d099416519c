// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Out-of-band channel: one TCP connection between client and server, as
 * perftest does, carrying text lines.
 *
 *   client -> server   H <tool> <version> <ud> <buffer bytes>   hello
 *   server -> client   h ok | h error <text>
 *   both ways          I <qpn> <psn> <rkey> <addr> <len> <lid> <gid hex>
 *   client -> server   R <size> <iters> <secs> <stride> <nslots> <seed> <verify>
 *                        <first-touch drops yours> <churn drops yours>
 *   server -> client   r ok | r error <text>                      round ready
 *   client -> server   D                  drop your buffer (first-touch)
 *   server -> client   d
 *   client -> server   C <offset> <len>   drop this range (churn, no reply)
 *   client -> server   E <messages>       end of round
 *   server -> client   V ok <received> <ns> | V fail <text>
 *   client -> server   Q                  done
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "pt.h"

int pt_oob_listen(struct pt_ctx *c, int port, int *bound)
{
	struct sockaddr_in6 sa = {
		.sin6_family = AF_INET6, .sin6_port = htons(port),
		.sin6_addr = IN6ADDR_ANY_INIT,
	};
	socklen_t salen = sizeof(sa);
	int one = 1, zero = 0, fd;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		/* no IPv6 in this kernel: IPv4 only */
		struct sockaddr_in s4 = {
			.sin_family = AF_INET, .sin_port = htons(port),
		};

		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto err;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&s4, sizeof(s4)))
			goto err;
		salen = sizeof(s4);
		if (getsockname(fd, (struct sockaddr *)&s4, &salen))
			goto err;
		*bound = ntohs(s4.sin_port);
	} else {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
			goto err;
		if (getsockname(fd, (struct sockaddr *)&sa, &salen))
			goto err;
		*bound = ntohs(sa.sin6_port);
	}
	if (listen(fd, 1))
		goto err;
	return fd;
err:
	pt_err(c, "listen on TCP port %d: %s", port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static void sock_setup(struct pt_ctx *c)
{
	int one = 1;

	setsockopt(c->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->rxlen = 0;
}

int pt_oob_accept(struct pt_ctx *c, int lfd)
{
	c->sock = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c->sock < 0) {
		pt_err(c, "accept: %s", strerror(errno));
		return -1;
	}
	sock_setup(c);
	return 0;
}

/* Connect to @host:@port, retrying for a few seconds (server starting). */
int pt_oob_connect(struct pt_ctx *c, const char *host, int port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char serv[16];
	int err = 0;

	snprintf(serv, sizeof(serv), "%d", port);
	err = getaddrinfo(host, serv, &hints, &res);
	if (err) {
		pt_err(c, "%s: %s", host, gai_strerror(err));
		return -1;
	}
	for (int tries = 0; tries < 50; tries++) {
		for (ai = res; ai; ai = ai->ai_next) {
			c->sock = socket(ai->ai_family,
					 ai->ai_socktype | SOCK_CLOEXEC,
					 ai->ai_protocol);
			if (c->sock < 0)
				continue;
			if (!connect(c->sock, ai->ai_addr, ai->ai_addrlen)) {
				freeaddrinfo(res);
				sock_setup(c);
				return 0;
			}
			err = errno;
			close(c->sock);
			c->sock = -1;
		}
		if (err != ECONNREFUSED)
			break;
		usleep(100000);
	}
	freeaddrinfo(res);
	pt_err(c, "connect to %s port %d: %s", host, port, strerror(err));
	return -1;
}

int pt_send(struct pt_ctx *c, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n, off = 0;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(line) - 1)
		return -1;
	line[n++] = '\n';
	pthread_mutex_lock(&c->sock_lock);
	while (off < n) {
		ssize_t w = send(c->sock, line + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			pthread_mutex_unlock(&c->sock_lock);
			pt_err(c, "out-of-band send: %s", strerror(errno));
			return -1;
		}
		off += w;
	}
	pthread_mutex_unlock(&c->sock_lock);
	return 0;
}

/*
 * Read one line into @line (without the newline).  @timeout_ms: -1
 * blocks, 0 only takes what has arrived.  Returns 1 with a line, 0 if
 * none arrived in time, -1 on error or when the peer closed.
 */
int pt_recv(struct pt_ctx *c, char *line, size_t len, int timeout_ms)
{
	for (;;) {
		char *nl = memchr(c->rxbuf, '\n', c->rxlen);
		struct pollfd pfd = { .fd = c->sock, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t l = nl - c->rxbuf;

			snprintf(line, len, "%.*s", (int)l, c->rxbuf);
			memmove(c->rxbuf, nl + 1, c->rxlen - l - 1);
			c->rxlen -= l + 1;
			return 1;
		}
		if (c->rxlen == sizeof(c->rxbuf)) {
			pt_err(c, "out-of-band: line too long");
			return -1;
		}
		n = poll(&pfd, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return 0;
		n = recv(c->sock, c->rxbuf + c->rxlen,
			 sizeof(c->rxbuf) - c->rxlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			pt_err(c, "out-of-band: %s", n ? strerror(errno) :
			       "the peer closed the connection");
			return -1;
		}
		c->rxlen += n;
	}
}

static void gid_hex(const union ibv_gid *g, char *s)
{
	for (int i = 0; i < 16; i++)
		sprintf(s + 2 * i, "%02x", g->raw[i]);
}

static int hex_gid(const char *s, union ibv_gid *g)
{
	for (int i = 0; i < 16; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -1;
		g->raw[i] = b;
	}
	return 0;
}

/* Send our endpoint, read the peer's. */
int pt_exchange(struct pt_ctx *c)
{
	const struct pt_ep_info *s = &c->self;
	struct pt_ep_info *p = &c->peer;
	char gid[33], line[256];
	unsigned int lid;
	unsigned long long addr, len;

	gid_hex(&s->gid, gid);
	if (pt_send(c, "I %u %u %u %llu %llu %u %s", s->qpn, s->psn, s->rkey,
		    (unsigned long long)s->addr, (unsigned long long)s->len,
		    s->lid, gid))
		return -1;
	if (pt_recv(c, line, sizeof(line), 30000) != 1)
		goto bad;
	if (sscanf(line, "I %u %u %u %llu %llu %u %32s", &p->qpn, &p->psn,
		   &p->rkey, &addr, &len, &lid, gid) != 7 ||
	    hex_gid(gid, &p->gid))
		goto bad;
	p->addr = addr;
	p->len = len;
	p->lid = lid;
	return 0;
bad:
	pt_err(c, "out-of-band: no endpoint from the peer");
	return -1;
}

/* Client: ask the server to drop its buffer, wait until it has. */
int pt_ctl_drop(struct pt_ctx *c)
{
	char line[64];

	if (pt_send(c, "D"))
		return -1;
	if (pt_recv(c, line, sizeof(line), 30000) != 1 || strcmp(line, "d")) {
		pt_err(c, "out-of-band: the server did not drop its buffer");
		return -1;
	}
	return 0;
}

/*
 * Server: handle the client's control lines during a round.  Returns 1
 * when the round ended (E, count in *end_count), 0 when @wait is false
 * and nothing more is pending, -1 on error.
 */
int pt_ctl_serve(struct pt_ctx *c, struct pt_round *r, bool wait,
		 uint64_t *end_count)
{
	char line[128];
	int ret;

	while ((ret = pt_recv(c, line, sizeof(line), wait ? -1 : 0)) == 1) {
		unsigned long long n;

		if (!strcmp(line, "D")) {
			if (pt_touch_serve(c, r) || pt_send(c, "d"))
				return -1;
		} else if (line[0] == 'C') {
			if (pt_churn_serve(c, line))
				return -1;
			r->churns++;
		} else if (sscanf(line, "E %llu", &n) == 1) {
			*end_count = n;
			return 1;
		} else {
			pt_err(c, "out-of-band: unexpected '%s'", line);
			return -1;
		}
	}
	return ret;
}
