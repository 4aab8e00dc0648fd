#ifndef HS_MACHINE_DEF_H
#define HS_MACHINE_DEF_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hindsight.h"

/*
 * The model of a machine definition, as the loader builds it and the
 * executions read it. Immutable once loaded: executions on many workers
 * read it without a lock. Uses only the public API, so that the machine
 * layer could live outside the core.
 */

/* A named callback, resolved at load. */
typedef struct hsi_mguard {
	hs_machine_guard_fn fn;
	void *udata;
	char *name; /* NULL: no guard */
} hsi_mguard;

typedef struct hsi_mupdate {
	hs_machine_update_fn fn;
	void *udata;
	char *name; /* NULL: no update */
} hsi_mupdate;

typedef struct hsi_medge hsi_medge;

/* invoke: start a child machine and wait for its end. */
typedef struct hsi_minvoke {
	char *machine;
	uint32_t version; /* 0: the newest at the time of the invoke */
	hsi_mupdate input;
	hsi_medge *success;
	hsi_medge *error;
} hsi_minvoke;

/* A transition out of a state. */
struct hsi_medge {
	char *name;        /* recorded as `via`; never NULL after load */
	char *state;       /* target state's name; NULL with invoke */
	int target;        /* its index, -1 with invoke */
	hsi_mguard when;
	hsi_mupdate update;
	int64_t wait_ns;   /* 0: no wait-for */
	hsi_minvoke *invoke;
	char *field;       /* where it was defined: "always[0]", for errors */
};

typedef enum hsi_mend {
	HSI_MEND_NONE = 0,
	HSI_MEND_SUCCESS,
	HSI_MEND_ERROR
} hsi_mend;

typedef struct hsi_maction {
	char *name;
	hsi_medge edge;
} hsi_maction;

typedef struct hsi_mstate {
	char *name;
	hsi_maction *actions;
	size_t nactions;
	hsi_medge *always;
	size_t nalways;
	hsi_mend end;
	hs_buf ret; /* "return" as msgpack; len 0: return the context */
} hsi_mstate;

struct hs_machine_def {
	char *id;
	uint32_t version;
	int start;
	hs_buf context; /* initial context, a msgpack map */
	hsi_mstate *states;
	size_t nstates;
};

/* The state index with this name, or -1. */
int hsi_mdef_state(const hs_machine_def *def, const char *name);

/* The action of state s with this name, or NULL. */
const hsi_maction *hsi_mdef_action(const hs_machine_def *def, int s,
				   const char *name);

/* Frees what an edge owns (not the edge). */
void hsi_medge_clear(hsi_medge *e);

/* ------------------------------------------------------------------ */
/* The set: callbacks by name, machines by id with their versions       */
/* ------------------------------------------------------------------ */

typedef struct hsi_mfn {
	char *name;
	bool guard;
	hs_machine_guard_fn gfn;
	hs_machine_update_fn ufn;
	void *udata;
} hsi_mfn;

/* One machine id: every version added, in order of addition. The agent
 * type's udata. `mu` guards versions/nversions: executions look a version
 * up (at $start and when a state is decoded) while another thread may add
 * one. Definitions never move once added. */
typedef struct hsi_machine {
	struct hs_machines *set;
	char *id;
	pthread_mutex_t mu;
	hs_machine_def **versions;
	size_t nversions, cap;
} hsi_machine;

struct hs_machines {
	hsi_mfn *fns;
	size_t nfns, fcap;
	/* Accept callback names that are not in the set (tools that only
	 * read or draw definitions); such a set must not be registered. */
	bool any_callback;
	pthread_mutex_t mu; /* guards machines/nmachines */
	hsi_machine **machines;
	size_t nmachines, mcap;
};

/* The callback named `name` of that kind, or NULL. */
const hsi_mfn *hsi_machines_fn(const hs_machines *m, const char *name,
			       bool guard);

/* The machine with that id, or NULL. Thread-safe. */
hsi_machine *hsi_machines_find(hs_machines *m, const char *id);

/* Version v of a machine (0: the newest), or NULL. Thread-safe. */
const hs_machine_def *hsi_machine_version(hsi_machine *mc, uint32_t v);

/* Checks the graph of a loaded definition (validate.c). Returns 0 or
 * HS_EINVAL with a sentence in err. */
int hsi_mdef_validate(const hs_machine_def *def, char *err, size_t cap);

/* The agent type of a machine (run.c). */
void hsi_machine_type(hsi_machine *mc, hs_type *t);

/* The machine of an agent type made by hsi_machine_type, or NULL when t
 * is another type (run.c). */
hsi_machine *hsi_machine_of_type(const hs_type *t);

#endif /* HS_MACHINE_DEF_H */
