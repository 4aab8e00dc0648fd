#ifndef HS_LOG_MARK_H
#define HS_LOG_MARK_H

/*
 * The durable mark: a file beside the database's own, HSI_MARK_FILE, that
 * holds the newest gseq known to be on disk. The writer raises it after
 * each synced write (HS_DURABILITY_SYNC, once the WAL's fsync returned and
 * before anyone is told) and after the flush of a clean close. An open
 * that finds the log ending before the mark has lost durable transitions
 * (a write-ahead log cut short or damaged, a file lost): RocksDB's
 * recovery would drop them without a word.
 *
 * The file is 24 bytes, rewritten in place: "HSMARK01", the gseq (8 bytes
 * BE), FNV-1a 64 of those 16 bytes (8 bytes BE). Absent in a log that was
 * never written under SYNC nor closed by a writer that has it, in backups
 * and in imported logs: then nothing is checked.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HSI_MARK_FILE "HINDSIGHT-DURABLE"

/* The mark of the log in dir: 0 and *gseq (0 when there is no file), or
 * HS_ECORRUPT (a file that is not a mark) or HS_EIO, with the reason in
 * why. */
int hsi_mark_read(const char *dir, uint64_t *gseq, char *why, size_t cap);

/* A writer's handle on the mark. */
typedef struct hsi_mark {
	int fd; /* -1 until the first write */
	uint64_t gseq;
} hsi_mark;

#define HSI_MARK_INIT                                                         \
	{                                                                     \
		-1, 0                                                         \
	}

/* Sets the mark to gseq if that raises it (with force, also lowers it:
 * a recovery that accepted a loss) and fdatasyncs it, creating the file
 * on first use (and syncing the directory then). 0, or HS_EIO with the
 * reason in why. */
int hsi_mark_write(hsi_mark *m, const char *dir, uint64_t gseq, bool force,
		   char *why, size_t cap);

/* Closes the file; accepts a mark never written. */
void hsi_mark_close(hsi_mark *m);

#endif /* HS_LOG_MARK_H */
