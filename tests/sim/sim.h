/* sim.h: shared types of the gateway simulator (server, state, webhooks). */
#ifndef WAPOOL_SIM_H
#define WAPOOL_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>	/* not <json.h>: -I lib comes first */

#define SIM_PRINTF(a, b) __attribute__((format(printf, a, b)))

/*
 * One HTTP request.  main.c owns it: it collects the body, calls the
 * gateway module, then sends whatever the module stored with req_reply*().
 * Memory reachable from here is freed by main.c when the request ends.
 */
struct sim_req {
	struct MHD_Connection	*conn;
	const char		*method;	/* "GET", "POST", ... */
	const char		*url;		/* path only, %-decoded by MHD */
	char			*body;		/* NUL-terminated, may be NULL */
	size_t			 body_len;
	size_t			 body_cap;
	bool			 body_too_big;

	unsigned		 status;	/* 0 until a reply is stored */
	char			*resp;		/* malloc'd reply body */
	size_t			 resp_len;
	const char		*ctype;
	bool			 hang;		/* close without answering */
	bool			 control;	/* a /_sim/ request (not counted) */
};

/* Connection states shared by every gateway kind. */
enum sim_state {
	SIM_CLOSE,
	SIM_CONNECTING,
	SIM_OPEN,
	SIM_STATE__MAX
};

/* Ack progress of a recorded send; never goes backwards. */
enum sim_ack {
	SIM_ACK_NONE,		/* presence calls: no message */
	SIM_ACK_PENDING,
	SIM_ACK_SERVER,
	SIM_ACK_DELIVERY,
	SIM_ACK_READ,
	SIM_ACK__MAX
};

enum sim_kind {
	SIM_KIND_TEXT,
	SIM_KIND_MEDIA,
	SIM_KIND_PRESENCE,
	SIM_KIND__MAX
};

/* Test knobs of one instance (POST /_sim/instances/{name}/knobs). */
struct sim_knobs {
	int	 latency_ms;		/* added to every request on the instance */
	double	 error_rate;		/* share of sends answered error_status */
	int	 error_status;
	double	 timeout_rate;		/* share of sends never answered */
	int	 timeout_ms;		/* how long such a send hangs */
	bool	 timeout_delivers;	/* a hung send still reaches WhatsApp */
	bool	 disconnect;
	bool	 banned;
	bool	 ack;			/* post messages.update acks */
	int	 ack_delay_ms;
	bool	 read;			/* also post READ */
	int	 rate_limit_429;	/* max sends per second, 0 = off */
	char	**not_on_whatsapp;	/* normalised numbers */
	size_t	 n_not_on_whatsapp;
};

/* Per-instance webhook (Evolution "webhook" object). */
struct sim_webhook {
	bool	 enabled;
	char	*url;
	bool	 by_events;
	bool	 base64;
	char	*headers;		/* JSON object text or NULL */
	char	**events;		/* UPPER_SNAKE names; none = all */
	size_t	 n_events;
	char	*id;
	int64_t	 created_ms;
	int64_t	 updated_ms;
};

struct sim_settings {
	bool	 reject_call;
	char	*msg_call;
	bool	 groups_ignore;
	bool	 always_online;
	bool	 read_messages;
	bool	 read_status;
	bool	 sync_full_history;
};

/*
 * One simulated instance (a WhatsApp session on the gateway).  Only touch
 * it with sim_lock() held; copy what you need and unlock before any slow
 * work (sleeping, JSON printing, webhooks).
 */
struct sim_instance {
	char			*name;
	char			*id;		/* UUID */
	char			*token;
	char			*integration;
	char			*number;	/* number given at create, or NULL */
	char			*owner_jid;	/* set once the QR was scanned */
	char			*profile_name;
	enum sim_state		 state;
	int			 disconnection_code;	/* 0 = none */
	int64_t			 disconnection_ms;
	int64_t			 created_ms;
	int64_t			 updated_ms;
	struct sim_settings	 settings;
	struct sim_webhook	 webhook;
	struct sim_knobs	 knobs;
	int			 qr_count;
	char			*qr_code;
	char			*pairing_code;
	uint64_t		 sends;		/* accepted message sends */
	int64_t			 rl_second;	/* rate_limit_429 window */
	int			 rl_count;

	struct sim_instance	*hnext;		/* hash chain */
	struct sim_instance	*prev, *next;	/* creation order */
};

/* A recorded send, as copied out by sim_sends_copy(). */
struct sim_send {
	uint64_t	 seq;
	int64_t		 t_us;		/* CLOCK_REALTIME at acceptance */
	enum sim_kind	 kind;
	enum sim_ack	 ack;
	int		 delay_ms;
	char		*instance;
	char		*number;
	char		*text;
	char		 id[32];	/* message id, "" for presence */
};

/* Program options (main.c). */
struct sim_config {
	const char	*bind;
	int		 port;
	const char	*api_key;
	const char	*webhook_url;	/* global webhook, or NULL */
	const char	*record_path;
	const char	*server_url;	/* "http://bind:port" */
	size_t		 max_sends;
	unsigned	 threads;	/* 0: a thread per connection */
};
extern struct sim_config sim_cfg;

/* main.c: request helpers. */
const char	*req_header(struct sim_req *, const char *);
const char	*req_query(struct sim_req *, const char *);
void		 req_reply_json(struct sim_req *, unsigned, json_object *);
void		 req_reply_text(struct sim_req *, unsigned, const char *);
bool		 sim_stopping(void);
void		 sim_sleep_ms(int64_t);

/* util.c: time, randomness, strings. */
int64_t		 now_mono_us(void);
int64_t		 now_real_us(void);
int64_t		 now_real_ms(void);
uint64_t	 rand_u64(void);
double		 rand_unit(void);
void		 rand_uuid(char out[37], bool upper);
void		 iso_time(char out[32], int64_t ms, bool local);
char		*xstrdup(const char *);
void		*xmalloc(size_t);
void		*xcalloc(size_t, size_t);
void		*xrealloc(void *, size_t);
char		*xasprintf(const char *, ...) SIM_PRINTF(1, 2);
void		 xfree_strv(char **, size_t);
json_object	*json_str_or_null(const char *);
const char	*json_get_str(json_object *, const char *);
bool		 json_get_bool(json_object *, const char *, bool *);
bool		 json_get_int(json_object *, const char *, int64_t *);
char		*b64_encode(const unsigned char *, size_t);
char		*norm_number(const char *);

/* state.c: instances, sends, stats.  *_locked need sim_lock() held. */
void		 state_init(void);
void		 state_free(void);
void		 sim_lock(void);
void		 sim_unlock(void);
struct sim_instance *state_find_locked(const char *);
struct sim_instance *state_add_locked(const char *);
void		 state_remove_locked(struct sim_instance *);
struct sim_instance *state_first_locked(void);
void		 state_reset_locked(void);
void		 knobs_defaults(struct sim_knobs *);
bool		 knobs_blocks_number_locked(const struct sim_instance *,
		    const char *);
uint64_t	 sends_append_locked(const struct sim_send *);
void		 sends_set_ack(uint64_t, enum sim_ack);
struct sim_send	*sends_copy(const char *, uint64_t, size_t, size_t *);
void		 sends_free(struct sim_send *, size_t);
void		 sends_record_file(const struct sim_send *);
json_object	*sends_to_json(const struct sim_send *);
json_object	*state_stats_json(void);
void		 stats_request(unsigned);
const char	*sim_state_name(enum sim_state);
const char	*sim_ack_name(enum sim_ack);
const char	*sim_kind_name(enum sim_kind);
json_object	*instance_sim_json_locked(const struct sim_instance *);

/* webhook.c: background poster (one thread, libcurl multi). */
int		 webhook_start(void);
void		 webhook_stop(void);
void		 webhook_clear(void);
void		 webhook_post(int64_t, const char *, const char *, char *,
		    uint64_t, enum sim_ack);
json_object	*webhook_stats_json(void);

/* png.c: a QR-looking PNG as a data: URL (caller frees). */
char		*png_qr_data_url(const char *);

/*
 * Gateway modules.  Each exports match() (does it own this path?) and
 * handle() (answer it); main.c tries them in order.  evo_set_state_locked()
 * changes an instance's state and posts connection.update; the control API
 * uses it for scan/disconnect/ban.
 */
bool		 control_match(const char *);
void		 control_handle(struct sim_req *);

bool		 evo_match(const char *);
void		 evo_handle(struct sim_req *);
void		 evo_set_state_locked(struct sim_instance *, enum sim_state,
		    int);

#endif
