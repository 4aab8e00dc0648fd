/* The state of one hs_whatif call and what its pieces call in each other:
 * whatif.c (the call), whatif_edits.c, whatif_scan.c, whatif_index.c,
 * whatif_run.c, whatif_check.c, whatif_report.c and whatif_agents.c. */
#ifndef HS_REPLAY_WHATIF_H
#define HS_REPLAY_WHATIF_H

#include <stdint.h>
#include <stdlib.h>

#include "common/addr_map.h"
#include "replay/report.h"

/* How a what-if transition compares with history at its (agent, seq). */
enum {
	HSI_CMP_SAME,
	HSI_CMP_DIFFERS,
	HSI_CMP_EXTRA
};

/* A history transition, as the index notes it. */
typedef struct hsi_htrans {
	uint64_t gseq;
	uint64_t hash;
	uint64_t wpos; /* what-if transitions made before its gseq's step */
	/* The what-if seq of the transition that applied this record's
	 * event unchanged, or 0 when none did (dropped, replaced, skipped,
	 * or apply made no change). */
	uint64_t wseq;
} hsi_htrans;

struct hsi_wagent;

/* A transition of the what-if run. */
typedef struct hsi_wtrans {
	uint64_t gseq; /* place in the what-if run */
	int64_t time_ns;
	uint64_t hash;
	/* The history record whose event it applied unchanged, or 0: then
	 * the event is in hsi_whatif.events at ev_off: type, NUL, body. */
	uint64_t src_gseq;
	size_t ev_off;
	uint32_t body_len;
	uint8_t ev_type_len;
	uint8_t cmp;
	struct hsi_wagent *cause; /* NULL when it came from outside */
	uint64_t cause_seq;
	uint64_t cause_gseq;
	/* With cmp != HSI_CMP_SAME: its state, in hsi_whatif.states. */
	size_t state_off;
	size_t state_len;
} hsi_wtrans;

/* An agent of the what-if: its history, its what-if run. */
typedef struct hsi_wagent {
	const hsi_type *t;
	void *state; /* the what-if state; NULL until its first event */
	int64_t last_time;
	hsi_htrans *h; /* history transitions up to `to`, by seq */
	size_t nh, caph;
	hsi_wtrans *w; /* what-if transitions, by seq */
	size_t nw, capw;
	void *hstate; /* history replay cursor for the report */
	uint64_t hseq;
	/* While one transition's sends are paired with history: its sends
	 * to this agent are send_keys[pair_next, pair_end) when pair_epoch
	 * is the current epoch. */
	uint64_t pair_epoch;
	size_t pair_next, pair_end;
	/* The last seq whose recorded state hash is of another state
	 * version than the code's (0: none): up to it, history's hash is
	 * known only where the run followed history exactly (then h[].hash
	 * is set to the run's). */
	uint64_t unhashed;
	uint8_t id_len;
	char id[]; /* NUL-terminated */
} hsi_wagent;

/* An edit, checked and normalised. */
typedef struct hsi_wedit {
	const hs_edit *e;
	size_t idx;             /* its place in the caller's array */
	const hsi_type *t;      /* INSERT */
	size_t id_len;          /* INSERT */
	const char *event_type; /* NULL: REPLACE keeps the record's */
	size_t event_type_len;
	const void *body;
	size_t body_len;
} hsi_wedit;

/* A record that a handler sent, under the gseq of its cause. */
typedef struct hsi_caused {
	uint64_t cause_gseq;
	uint64_t gseq;
	uint64_t mhash; /* of its event type and body */
	hsi_wagent *to; /* its agent */
	/* Paired with a send of the what-if transition of its cause, which
	 * ran as in history: taken from history at its place. */
	bool take;
} hsi_caused;

struct hsi_send_key;
struct hsi_wchange;

/* One hs_whatif call. */
typedef struct hsi_whatif {
	hs_runtime *rt;
	uint64_t to;
	hs_whatif_fn fn;
	void *udata;

	/* (type, id) -> hsi_wagent *, in the order the agents were met
	 * (whatif_agents.c). */
	hsi_addr_map agents;

	hsi_wedit *ins, *mods;
	size_t nins, nmods, ins_i, mods_i;

	/* Every caused record up to `to`, by (cause_gseq, gseq). */
	hsi_caused *caused;
	size_t ncaused, caused_cap;

	/* Scratch for pairing one transition's sends. */
	struct hsi_send_key *send_keys;
	hsi_effect **sends;
	bool *paired;
	size_t sends_cap;
	uint64_t epoch;

	/* The what-if run. */
	uint64_t wcount;
	int64_t last_time; /* of the last history record */
	hs_buf events;
	hs_buf states;

	/* Reading records in chunks. */
	hs_buf chunk;
	size_t *offs;
	size_t *lens;
	size_t nchunk;
	uint64_t next;
	int chunk_err;

	hs_buf rec;  /* a history record, compared or reported */
	hs_buf srec; /* the source record of a what-if event */
	hs_buf crec; /* a record applied by the history cursor */
	hs_buf enc;  /* an encoded state */
	hs_buf hbuf; /* a history state */
	hs_buf wbuf; /* a what-if state */
	hs_buf json[2];
	hsi_upcast up; /* a history event as today's code reads it */

	struct hsi_wchange *changes;
	size_t nchanges, changes_cap;
} hsi_whatif;

/*
 * Room for one more element after the n in arr, whose capacity is *cap
 * elements of `size` bytes: arr itself, or arr grown to twice *cap
 * (`first` when empty). NULL when out of memory, arr and *cap as they
 * were.
 */
static inline void *hsi_whatif_grow(void *arr, size_t n, size_t *cap,
				    size_t size, size_t first)
{
	if (n < *cap)
		return arr;
	size_t c = *cap ? 2 * *cap : first;
	void *p = c > SIZE_MAX / size ? NULL : realloc(arr, c * size);
	if (p != NULL)
		*cap = c;
	return p;
}

/* whatif_edits.c: checks the caller's edits into w->ins and w->mods,
 * each sorted by gseq, then by place in the caller's array. */
int hsi_whatif_read_edits(hsi_whatif *w, const hs_edit *edits, size_t nedits);

/* whatif_scan.c: calls fn for every record with gseq 1..w->to, in order,
 * outside the RocksDB iterator. Stops at fn's first non-zero return. */
typedef int (*hsi_whatif_record_fn)(hsi_whatif *w, const hsi_record *r);
int hsi_whatif_scan(hsi_whatif *w, hsi_whatif_record_fn fn);
/* HS_ECORRUPT, saying that the record at gseq is not the one the index
 * read. */
int hsi_whatif_log_changed(hsi_whatif *w, uint64_t gseq);

/* whatif_index.c: step 1, the history transitions of every agent and
 * every caused record up to w->to. */
int hsi_whatif_index(hsi_whatif *w);
/* The index in w->caused of the first at or after (cause_gseq, gseq). */
size_t hsi_whatif_first_caused(const hsi_whatif *w, uint64_t cause_gseq,
			       uint64_t gseq);

/* whatif_run.c: step 2, the what-if run. */
int hsi_whatif_run(hsi_whatif *w);

/* whatif_check.c: the body of history record r (of an agent of type t)
 * as today's code reads it, in *body and *len (valid until the next
 * call); HS_ESCHEMA with the error set when it cannot be. */
int hsi_whatif_upcast(hsi_whatif *w, const hsi_type *t, const hsi_record *r,
		      const void **body, size_t *len);

/* whatif_check.c: the what-if run against history. */
uint64_t hsi_whatif_msg_hash(const char *ev, size_t ev_len, const void *body,
			     size_t body_len);
int hsi_whatif_compare(hsi_whatif *w, hsi_wagent *a, const hsi_wtrans *x,
		       uint64_t s, const char *ev, size_t ev_len,
		       const void *body, size_t body_len, uint8_t *out);
int hsi_whatif_pair_sends(hsi_whatif *w, hsi_wagent *a, const hsi_htrans *he,
			  hsi_effect **sent);
int hsi_whatif_caused_holds(hsi_whatif *w, const hsi_record *r,
			    hsi_wagent **cause, uint64_t *cause_seq);

/* whatif_report.c: step 3, the differences to the caller's fn. */
int hsi_whatif_report(hsi_whatif *w);

/* whatif_agents.c: the agents by (type, id); hsi_whatif_agent gives
 * agent i (< w->agents.count) in the order they were met. */
static inline hsi_wagent *hsi_whatif_agent(const hsi_whatif *w, size_t i)
{
	return *(hsi_wagent **)hsi_addr_map_value(&w->agents, i);
}
hsi_wagent *hsi_whatif_find_agent(const hsi_whatif *w, const char *type,
				  size_t type_len, const char *id,
				  size_t id_len);
int hsi_whatif_get_agent(hsi_whatif *w, const char *type, size_t type_len,
			 const char *id, size_t id_len, const hsi_type *t,
			 const char *where, hsi_wagent **out);
void hsi_whatif_free_agents(hsi_whatif *w);

#endif /* HS_REPLAY_WHATIF_H */
