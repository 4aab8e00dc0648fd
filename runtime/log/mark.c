/* The durable mark (mark.h). */
#include "log/mark.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/hash.h"
#include "hindsight.h"
#include "log/keys.h"

#define MAGIC "HSMARK01"
#define MARK_BYTES 24

int hsi_mark_read(const char *dir, uint64_t *gseq, char *why, size_t cap)
{
	char path[4096];
	uint8_t b[MARK_BYTES + 1];
	ssize_t n;
	int fd;

	*gseq = 0;
	snprintf(path, sizeof(path), "%s/" HSI_MARK_FILE, dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, cap, "%s: %s", HSI_MARK_FILE, strerror(errno));
		return HS_EIO;
	}
	n = pread(fd, b, sizeof(b), 0);
	int e = errno;
	close(fd);
	if (n < 0) {
		snprintf(why, cap, "%s: %s", HSI_MARK_FILE, strerror(e));
		return HS_EIO;
	}
	if (n != MARK_BYTES || memcmp(b, MAGIC, 8) != 0 ||
	    hsi_be64_get(b + 16) != hsi_fnv1a(HSI_FNV_SEED, b, 16)) {
		snprintf(why, cap,
			 "%s is damaged (%zd bytes, not a durable mark): it "
			 "cannot tell which transitions were durable",
			 HSI_MARK_FILE, n);
		return HS_ECORRUPT;
	}
	*gseq = hsi_be64_get(b + 8);
	return 0;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int hsi_mark_write(hsi_mark *m, const char *dir, uint64_t gseq, bool force,
		   char *why, size_t cap)
{
	uint8_t b[MARK_BYTES];
	bool created = false;

	if (gseq <= m->gseq && !(force && gseq != m->gseq))
		return 0;
	if (m->fd < 0) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/" HSI_MARK_FILE, dir);
		m->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (m->fd < 0) {
			snprintf(why, cap, "cannot open %s: %s", HSI_MARK_FILE,
				 strerror(errno));
			return HS_EIO;
		}
		created = true;
	}
	memcpy(b, MAGIC, 8);
	hsi_be64_put(b + 8, gseq);
	hsi_be64_put(b + 16, hsi_fnv1a(HSI_FNV_SEED, b, 16));
	/* 24 bytes at offset 0: within one sector, so never torn. */
	if (pwrite(m->fd, b, sizeof(b), 0) != (ssize_t)sizeof(b) ||
	    fdatasync(m->fd) != 0 || (created && sync_dir(dir) != 0)) {
		snprintf(why, cap, "cannot write %s: %s", HSI_MARK_FILE,
			 strerror(errno));
		return HS_EIO;
	}
	m->gseq = gseq;
	return 0;
}

void hsi_mark_close(hsi_mark *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}
