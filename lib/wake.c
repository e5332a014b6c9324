/* wake.c: UDP wake-ups so a committed message leaves in milliseconds, not at the next poll. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "log.h"
#include "util.h"
#include "wake.h"

#define WAKE_MAX_TARGETS 16

struct wake_sender {
	int			fd;
	size_t			ntargets;
	struct sockaddr_storage	targets[WAKE_MAX_TARGETS];
	socklen_t		target_lens[WAKE_MAX_TARGETS];
};

/* Split "host:port" and resolve it (numeric or name) into an address. */
static int
wake_resolve(const char *spec, struct sockaddr_storage *out, socklen_t *outlen)
{
	struct addrinfo hints, *res = NULL;
	char *copy = xstrdup(spec), *colon;
	int rc = -1;

	if ((colon = strrchr(copy, ':')) == NULL)
		goto out;
	*colon = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(copy, colon + 1, &hints, &res) != 0 || res == NULL)
		goto out;
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*outlen = res->ai_addrlen;
	rc = 0;
out:
	if (res != NULL)
		freeaddrinfo(res);
	free(copy);
	return rc;
}

struct wake_sender *
wake_sender_open(const char *addresses)
{
	struct wake_sender *w = xcalloc(1, sizeof(*w));
	char *copy = xstrdup(addresses), *save = NULL, *item;

	w->fd = -1;
	for (item = strtok_r(copy, ", ", &save); item != NULL && w->ntargets < WAKE_MAX_TARGETS;
	    item = strtok_r(NULL, ", ", &save)) {
		if (wake_resolve(item, &w->targets[w->ntargets], &w->target_lens[w->ntargets]) != 0) {
			log_warnx("wake: cannot resolve daemon address \"%s\"; ignored", item);
			continue;
		}
		w->ntargets++;
	}
	free(copy);
	if (w->ntargets > 0) {
		w->fd = socket(w->targets[0].ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (w->fd < 0)
			log_warn("wake: socket");
	}
	return w;
}

void
wake_send(struct wake_sender *w)
{
	wake_send_kind(w, WAKE_CLAIM);
}

void
wake_send_kind(struct wake_sender *w, enum wake_kind kind)
{
	char datagram = (char)kind;
	struct iovec iov = { .iov_base = &datagram, .iov_len = 1 };
	struct mmsghdr msgs[WAKE_MAX_TARGETS];
	size_t i;

	if (w == NULL || w->fd < 0)
		return;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < w->ntargets; i++) {
		msgs[i].msg_hdr.msg_name = &w->targets[i];
		msgs[i].msg_hdr.msg_namelen = w->target_lens[i];
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/*
	 * One system call for every daemon, once per committed batch.  A lost
	 * datagram only costs one poll interval: errors are ignored, but
	 * sendmmsg stops at the first one, so go on after it.
	 */
	for (i = 0; i < w->ntargets;) {
		int sent = sendmmsg(w->fd, &msgs[i], (unsigned int)(w->ntargets - i), MSG_DONTWAIT);

		i += sent > 0 ? (size_t)sent + 1 : 1;
	}
}

void
wake_sender_close(struct wake_sender *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

int
wake_listen(const char *address)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int fd;

	if (wake_resolve(address, &addr, &len) != 0)
		return -1;
	if ((fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&addr, len) != 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
wake_drain(int fd, bool *reload)
{
	char datagram[64];
	ssize_t len;
	int n = 0;

	*reload = false;
	while ((len = recv(fd, datagram, sizeof(datagram), MSG_DONTWAIT)) >= 0) {
		if (len > 0 && datagram[0] == (char)WAKE_RELOAD)
			*reload = true;
		n++;
	}
	return n;
}
