/*
 * fcgi-null.c: baseline (a) of bench/intake.sh, the null FastCGI responder.
 *
 * Reads the whole request body and answers a small JSON 202 to every
 * request; nothing else.  Single-threaded, one FCGX_Accept_r loop on the
 * listening socket the web server hands over as fd 0 (lighttpd bin-path,
 * spawn-fcgi), as a plain libfcgi program would be.  It shows what
 * lighttpd + mod_fastcgi + libfcgi cost by themselves on this machine.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#define REPLY_BODY "{\"event_id\":1,\"message_id\":1,\"status\":\"pending\"}\n"

static const char reply_body[] = REPLY_BODY;

/* Read and drop the body: CONTENT_LENGTH bytes, or up to EOF without one. */
static long
drain_body(FCGX_Request *r)
{
	char buf[16384];
	long total = 0;
	int n;

	while ((n = FCGX_GetStr(buf, sizeof(buf), r->in)) > 0)
		total += n;
	return total;
}

int
main(void)
{
	FCGX_Request req;
	char head[128];

	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0) {
		fputs("fcgi-null: FCGX_Init failed\n", stderr);
		return 1;
	}
	if (FCGX_IsCGI()) {
		fputs("fcgi-null: run me under a FastCGI web server\n", stderr);
		return 2;
	}
	snprintf(head, sizeof(head), "Status: 202 Accepted\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n", sizeof(reply_body) - 1);
	FCGX_InitRequest(&req, 0, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		(void)drain_body(&req);
		FCGX_PutS(head, req.out);
		FCGX_PutStr(reply_body, (int)sizeof(reply_body) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
