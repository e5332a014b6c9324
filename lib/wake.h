/* wake.h: the loss-tolerant UDP wake-up from wapool.fcgi to the wapoold daemons. */
#ifndef WAPOOL_WAKE_H
#define WAPOOL_WAKE_H

#include <stdbool.h>

struct wake_sender;

/* addresses: "host:port[,host:port...]"; empty gives a sender that does nothing. */
struct wake_sender *wake_sender_open(const char *addresses);
/*
 * What a datagram asks for: claim now (a message was committed), or reload
 * the instance and pool model first (an instance changed state, health or
 * admin state: without it a daemon would use what it knew up to a second ago).
 */
enum wake_kind {
	WAKE_CLAIM = 'w',
	WAKE_RELOAD = 'r',
};

/* Ring every daemon once; never blocks, never fails loudly (polling is the backstop). */
void	wake_send(struct wake_sender *w);
void	wake_send_kind(struct wake_sender *w, enum wake_kind kind);
void	wake_sender_close(struct wake_sender *w);

/* Daemon side: a non-blocking UDP socket bound to host:port; -1 on error. */
int	wake_listen(const char *address);
/* Drain every pending datagram; returns how many were read, *reload set if one asked for it. */
int	wake_drain(int fd, bool *reload);

#endif
