/* A look at table files before RocksDB parses them (sstcheck.h). */
#include "log/sstcheck.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hindsight.h"

/* The footer of block-based tables of format_version >= 1: checksum
 * type (1), metaindex and index handles (varints, padded to 40), format
 * version (4), magic (8). */
#define FOOTER_BYTES 53
#define MAGIC 0x88e241b785f4cff7ull
#define TRAILER_BYTES 5 /* after each block: compression type, checksum */
#define META_MAX (1u << 20)
#define HASH_INDEX_BIT 0x80000000u

static bool varint64(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift <= 63 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The handle stored under "rocksdb.properties" in a metaindex block's
 * contents; false when it cannot be found. */
static bool find_properties(const uint8_t *b, size_t n, uint64_t *off,
			    uint64_t *size)
{
	static const char want[] = "rocksdb.properties";
	char key[64];
	size_t klen = 0;

	if (n < 4)
		return false;
	uint32_t nr = le32(b + n - 4) & ~HASH_INDEX_BIT;
	if ((uint64_t)nr * 4 + 4 > n)
		return false;
	const uint8_t *p = b, *end = b + n - 4 - (size_t)nr * 4;
	while (p < end) {
		uint64_t shared, unshared, vlen;
		if (!varint64(&p, end, &shared) ||
		    !varint64(&p, end, &unshared) ||
		    !varint64(&p, end, &vlen) || shared > klen ||
		    shared + unshared >= sizeof(key) ||
		    unshared > (size_t)(end - p) ||
		    vlen > (size_t)(end - p) - unshared)
			return false;
		memcpy(key + shared, p, unshared);
		klen = shared + unshared;
		p += unshared;
		if (klen == sizeof(want) - 1 && memcmp(key, want, klen) == 0) {
			const uint8_t *v = p;
			return varint64(&v, p + vlen, off) &&
			       varint64(&v, p + vlen, size);
		}
		p += vlen;
	}
	return false;
}

/* 0, or HS_ECORRUPT with why set. */
static int check_file(int dirfd, const char *name, char *why, size_t cap)
{
	uint8_t f[FOOTER_BYTES], *meta = NULL;
	struct stat st;
	int rc = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0; /* RocksDB says what is wrong with it */
	if (fstat(fd, &st) != 0 || st.st_size < FOOTER_BYTES ||
	    pread(fd, f, sizeof(f), st.st_size - FOOTER_BYTES) !=
		    FOOTER_BYTES ||
	    le64(f + FOOTER_BYTES - 8) != MAGIC)
		goto out;
	if (f[0] == 0) {
		snprintf(why, cap,
			 "table file %s is damaged: its footer turns block "
			 "checksums off",
			 name);
		rc = HS_ECORRUPT;
		goto out;
	}
	const uint8_t *p = f + 1;
	uint64_t moff, msize, poff, psize;
	if (!varint64(&p, f + 41, &moff) || !varint64(&p, f + 41, &msize) ||
	    msize < 4 || msize > META_MAX ||
	    moff + msize + TRAILER_BYTES > (uint64_t)st.st_size)
		goto out;
	meta = malloc(msize);
	if (meta == NULL ||
	    pread(fd, meta, msize, (off_t)moff) != (ssize_t)msize ||
	    !find_properties(meta, msize, &poff, &psize) || psize < 4 ||
	    poff + psize + TRAILER_BYTES > (uint64_t)st.st_size)
		goto out;
	uint8_t w[4];
	if (pread(fd, w, 4, (off_t)(poff + psize - 4)) == 4 &&
	    (le32(w) & HASH_INDEX_BIT)) {
		snprintf(why, cap,
			 "table file %s is damaged: its properties block "
			 "(offset %llu) does not read as one",
			 name, (unsigned long long)poff);
		rc = HS_ECORRUPT;
	}
out:
	free(meta);
	close(fd);
	return rc;
}

int hsi_sst_precheck(const char *dir, char *why, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (d == NULL)
		return 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n > 4 && strcmp(e->d_name + n - 4, ".sst") == 0)
			rc = check_file(dirfd(d), e->d_name, why, cap);
	}
	closedir(d);
	return rc;
}
