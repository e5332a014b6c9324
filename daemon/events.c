/*
 * events.c: what wakes wapoold's loop: epoll over libcurl's sockets (its
 * socket interface), the database workers' pipe and the wake-up socket.
 *
 * Why not curl_multi_poll + curl_multi_perform: both walk every transfer
 * on every turn of the loop, and with 256 sends in flight a turn that
 * finds two answers paid for 256 (poll() alone was 13 % of the daemon's
 * time).  And a send must be written the moment its rate-gate slot is
 * taken (transfer_start), which with curl_multi_perform meant one walk
 * over all transfers per send started.  The socket interface touches only
 * the sockets that are ready and the transfers whose timer is due.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "dispatch.h"
#include "log.h"
#include "util.h"
#include "wake.h"

#define EVENTS_PER_WAIT 128

/* libcurl tells which sockets to watch for what (CURLMOPT_SOCKETFUNCTION). */
static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct dispatcher *d = userp;
	struct epoll_event ev;
	int op = socketp != NULL ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		/* The socket may already be closed: nothing to undo then. */
		(void)epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
		curl_multi_assign(d->multi, fd, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.data.fd = fd;
	if (what & CURL_POLL_IN)
		ev.events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(d->epoll_fd, op, fd, &ev) != 0) {
		/* Our mark and the kernel's set disagree (a reused descriptor): trust the kernel. */
		op = errno == EEXIST ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
		if (epoll_ctl(d->epoll_fd, op, fd, &ev) != 0) {
			log_warn("epoll_ctl on a gateway connection");
			return -1;
		}
	}
	curl_multi_assign(d->multi, fd, d);	/* any non-NULL: "already added" */
	return 0;
}

/* libcurl's next timeout (CURLMOPT_TIMERFUNCTION): -1 none, 0 at once. */
static int
on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct dispatcher *d = userp;

	(void)multi;
	d->curl_due_ms = timeout_ms < 0 ? -1 : clock_mono_ms() + timeout_ms;
	return 0;
}

static int
events_watch(struct dispatcher *d, int fd)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	return epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

int
events_init(struct dispatcher *d)
{
	if ((d->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		log_warn("epoll_create1");
		return -1;
	}
	d->curl_due_ms = -1;
	curl_multi_setopt(d->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(d->multi, CURLMOPT_SOCKETDATA, d);
	curl_multi_setopt(d->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(d->multi, CURLMOPT_TIMERDATA, d);
	if (events_watch(d, d->store_pipe[0]) != 0 ||
	    (d->wake_fd >= 0 && events_watch(d, d->wake_fd) != 0)) {
		log_warn("epoll_ctl");
		return -1;
	}
	return 0;
}

void
events_close(struct dispatcher *d)
{
	if (d->epoll_fd >= 0)
		close(d->epoll_fd);
	d->epoll_fd = -1;
}

void
events_run_due(struct dispatcher *d)
{
	int running;

	if (d->curl_due_ms < 0 || d->curl_due_ms > clock_mono_ms())
		return;
	d->curl_due_ms = -1;	/* libcurl sets the next one from inside the call */
	curl_multi_socket_action(d->multi, CURL_SOCKET_TIMEOUT, 0, &running);
}

void
events_kick(struct dispatcher *d)
{
	int running;

	/* A transfer just added is due at once: this starts it, and only it. */
	curl_multi_socket_action(d->multi, CURL_SOCKET_TIMEOUT, 0, &running);
}

int64_t
events_clamp(const struct dispatcher *d, int64_t timeout_ms)
{
	int64_t curl_in;

	if (d->curl_due_ms < 0)
		return timeout_ms;
	curl_in = d->curl_due_ms - clock_mono_ms();
	if (curl_in < 0)
		curl_in = 0;
	return curl_in < timeout_ms ? curl_in : timeout_ms;
}

void
events_wait(struct dispatcher *d, int64_t timeout_ms)
{
	struct epoll_event ev[EVENTS_PER_WAIT];
	int n, i, running;
	bool reload;

	n = epoll_wait(d->epoll_fd, ev, EVENTS_PER_WAIT, (int)events_clamp(d, timeout_ms));
	for (i = 0; i < n; i++) {
		int fd = ev[i].data.fd, flags = 0;

		if (fd == d->store_pipe[0]) {
			d->store_rang = true;	/* store_collect() reads the pipe and the results */
			continue;
		}
		if (fd == d->wake_fd) {
			reload = false;
			if (wake_drain(d->wake_fd, &reload) > 0) {
				d->claim_now = true;
				if (reload)
					d->next_reload_ms = 0;
			}
			continue;
		}
		/* A hang-up is read as the end of the stream, so libcurl sees the answer first. */
		if (ev[i].events & (EPOLLIN | EPOLLHUP))
			flags |= CURL_CSELECT_IN;
		if (ev[i].events & EPOLLOUT)
			flags |= CURL_CSELECT_OUT;
		if (ev[i].events & EPOLLERR)
			flags |= CURL_CSELECT_ERR;
		curl_multi_socket_action(d->multi, fd, flags, &running);
	}
	/* n < 0: a signal (EINTR); the loop looks at its flags. */
	events_run_due(d);
}
