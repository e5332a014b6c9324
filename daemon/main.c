/*
 * main.c: wapoold, the dispatch daemon.
 *
 *	wapoold [-d] [-f wapool.conf] [-p pidfile] [-v]
 *
 * -d stays in the foreground and logs to stderr; otherwise it detaches
 * and logs to syslog.  SIGTERM/SIGINT stop gracefully (a second one stops
 * at once); signal handlers only set a flag the loop reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "dispatch.h"
#include "log.h"
#include "util.h"

static void
on_stop_signal(int signo)
{
	(void)signo;
	dispatch_stop_requests++;
}

static void
usage(void)
{
	fputs("usage: wapoold [-d] [-f wapool.conf] [-p pidfile] [-v]\n", stderr);
	exit(2);
}

static void
detach(void)
{
	int fd;

	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") != 0)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/*
 * libgnutls is in wapoold only because libcurl's librtmp and libldap link
 * it: wapoold speaks TLS through OpenSSL (libcurl's and Connector/C's) and
 * limits libcurl to http and https, so GnuTLS is never used.  Its library
 * constructor initialises it all the same, before main(): its code and
 * ASN.1 tables were ~0.8 MiB of the daemon's resident memory (a program
 * that only links wapoold's libraries: RSS 8,988 -> 8,180 KiB without it).
 * GNUTLS_NO_IMPLICIT_INIT=1, GnuTLS's documented switch, skips that
 * constructor; librtmp and libldap call gnutls_global_init() themselves
 * before they use GnuTLS.  The variable must be there when the process
 * starts, so wapoold sets it and executes itself again, once, keeping its
 * pid and arguments.  Already set (to anything) means it was decided
 * outside, e.g. by a tool that follows only the first exec (valgrind).
 */
static void
exec_without_gnutls_constructor(char **argv)
{
	char path[PATH_MAX];
	ssize_t len;

	if (getenv("GNUTLS_NO_IMPLICIT_INIT") != NULL)
		return;
	if ((len = readlink("/proc/self/exe", path, sizeof(path) - 1)) <= 0)
		return;
	path[len] = '\0';
	if (setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 1) != 0)
		return;
	execv(path, argv);
	/* Not fatal: the daemon works the same with GnuTLS initialised. */
	fprintf(stderr, "wapoold: cannot execute %s again (%s); going on\n", path,
	    strerror(errno));
}

int
main(int argc, char **argv)
{
	const char *config_path = NULL, *pidfile = NULL;
	struct buf err = BUF_INIT;
	struct dispatcher d;
	struct config config;
	struct sigaction sa;
	bool foreground = false, verbose = false;
	int ch, rc;

	exec_without_gnutls_constructor(argv);
	while ((ch = getopt(argc, argv, "df:p:v")) != -1) {
		switch (ch) {
		case 'd':
			foreground = true;
			break;
		case 'f':
			config_path = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (config_load(&config, config_path, &err) != 0) {
		fprintf(stderr, "wapoold: %s\n", buf_cstr(&err));
		return 1;
	}
	buf_free(&err);
	log_init("wapoold", foreground, verbose ? LOG_LEVEL_DEBUG :
	    (enum log_level)log_level_parse(config.log_level));
	if (!foreground)
		detach();
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "w");

		if (f == NULL)
			fatal("cannot write %s", pidfile);
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * One malloc arena for the loop and its two database workers: memory
	 * they hand each other (claimed messages, outcome batches) then comes
	 * back to one free list, and each worker does not keep a heap of its
	 * own at its high-water mark (about 2 MiB each in bench/dispatch.sh).
	 * They take turns on the database, so the arena lock is not contended.
	 */
	(void)mallopt(M_ARENA_MAX, 1);
	/*
	 * lib/rate-calc.c swaps TZ to read a zone's offset.  With TZ always
	 * present that is an in-place replace of one environ entry, never an
	 * insert or a removal that moves the array under the database
	 * workers' getenv() (libmariadb reads its environment when it
	 * connects).  ":/etc/localtime" is what an unset TZ means.
	 */
	if (getenv("TZ") == NULL)
		(void)setenv("TZ", ":/etc/localtime", 1);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");
	if (dispatcher_init(&d, &config) != 0)
		fatalx("cannot start the dispatcher");
	rc = dispatcher_run(&d);
	dispatcher_free(&d);
	curl_global_cleanup();
	if (pidfile != NULL)
		unlink(pidfile);
	config_free(&config);
	return rc;
}
