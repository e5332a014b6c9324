/* wake.h: the loss-tolerant UDP wake-up from wapool.fcgi to the wapoold daemons. */
#ifndef WAPOOL_WAKE_H
#define WAPOOL_WAKE_H

struct wake_sender;

/* addresses: "host:port[,host:port...]"; empty gives a sender that does nothing. */
struct wake_sender *wake_sender_open(const char *addresses);
/* Ring every daemon once; never blocks, never fails loudly (polling is the backstop). */
void	wake_send(struct wake_sender *w);
void	wake_sender_close(struct wake_sender *w);

/* Daemon side: a non-blocking UDP socket bound to host:port; -1 on error. */
int	wake_listen(const char *address);
/* Drain every pending datagram; returns how many were read. */
int	wake_drain(int fd);

#endif
