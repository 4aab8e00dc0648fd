/* hindsight replay's parts: the steps of one agent (replay.c), printed
 * one after the other (replay_print.c) or shown on a terminal
 * (replay_term.c). */
#ifndef HS_TOOLS_REPLAY_H
#define HS_TOOLS_REPLAY_H

#include "cli.h"

typedef struct stepper {
	cli_db *db;
	cli_addr ag;
	uint64_t n;         /* transitions: seq 1..n */
	uint64_t *gseqs;    /* [seq - 1] */
	int64_t *times;     /* [seq - 1] */
	/* The step on show. */
	uint64_t seq;
	hs_buf rec_buf;
	hsi_named_record rec;
	hs_buf before, after, diff;
	hs_buf effects;     /* lines: what its handler sends and sets */
	char error[600];    /* why the step could not be rebuilt, or "" */
} stepper;

/* Reads the agent's index: seq 1..last with their gseqs and times. */
int replay_load_index(stepper *s, uint64_t last);

/* Loads step `seq`: its record, the states around it, their diff and
 * what its handler sends and sets. */
int replay_load_step(stepper *s, uint64_t seq);

/* The seq in force at time t: the last with time <= t; 0 if none. */
uint64_t replay_seq_at_time(const stepper *s, int64_t t);

/* What the handler of step seq sends and which timers it sets, as lines
 * into out ("" when nothing, or when it cannot be run again). */
void replay_effects_of(stepper *s, uint64_t seq, hs_buf *out);

/* Without a terminal: every step from `from` on. Returns an exit code. */
int replay_print_all(stepper *s, uint64_t from);

/* On a terminal: the step-through debugger from `start`. */
int replay_interactive(stepper *s, uint64_t start);

#endif
