/*
 * The directory a demo writes its log to. A run always starts a new log,
 * so before hs_open the demo looks at what is there: nothing (then the
 * directories above it are made), or an earlier log, which it replaces
 * only once it knows that it is a hindsight log no other process holds.
 * Which logs a demo replaces, and what it says, is the demo's choice;
 * these are the steps. Messages go to stderr, after `prog`.
 *
 * Uses only the public API, include/hindsight.h.
 */
#ifndef HS_DEMOS_COMMON_LOGDIR_H
#define HS_DEMOS_COMMON_LOGDIR_H

#include <stddef.h>
#include <sys/stat.h>

/* Whether something is at path: 1 if so, with *st describing it; 0 if
 * not, once the directories above path are made (hs_open makes path
 * itself); -1 after printing why it is neither. */
int logdir_stat(const char *prog, const char *path, struct stat *st);

/* Opens the log at path for writing and closes it again. Returns 0 when
 * it is a hindsight log that no other process holds and whose first
 * record, if any, is of agent type `type` (NULL: any type); else a
 * negative HS_E... code with a sentence in err: HS_ENOTLOG (not a log,
 * and nothing in it changed), HS_EBUSY (in use), HS_ETYPE (a log of other
 * agents) or another from hs_open_err or hs_history. */
int logdir_check(const char *path, const char *type, char *err, size_t cap);

/* Removes the directory tree at path, without following links. Returns 0,
 * or -1 after printing what it could not remove. */
int logdir_remove(const char *prog, const char *path);

#endif /* HS_DEMOS_COMMON_LOGDIR_H */
