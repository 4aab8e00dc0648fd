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

/* Walks the entries of a block's contents (uncompressed, as meta blocks
 * are): fn(udata, key, klen, value, vlen) for each; -1 when the block
 * does not parse, 1 when its keys are not in strictly increasing order
 * (RocksDB would say "properties unsorted" and name another file), else
 * what fn returned last (0, or 2 to stop). */
typedef int (*entry_fn)(void *udata, const char *key, size_t klen,
			const uint8_t *v, size_t vlen);

static int walk_block(const uint8_t *b, size_t n, entry_fn fn, void *udata)
{
	char key[256], prev[256];
	size_t klen = 0, plen = 0;
	bool first = true;

	if (n < 4)
		return -1;
	uint32_t nr = le32(b + n - 4) & ~HASH_INDEX_BIT;
	if ((uint64_t)nr * 4 + 4 > n)
		return -1;
	const uint8_t *p = b, *end = b + n - 4 - (size_t)nr * 4;
	while (p < end) {
		uint64_t shared, unshared, vlen;
		if (!varint64(&p, end, &shared) ||
		    !varint64(&p, end, &unshared) ||
		    !varint64(&p, end, &vlen) || shared > klen ||
		    shared + unshared >= sizeof(key) ||
		    unshared > (size_t)(end - p) ||
		    vlen > (size_t)(end - p) - unshared)
			return -1;
		memcpy(key + shared, p, unshared);
		klen = shared + unshared;
		p += unshared;
		if (!first) {
			size_t m = klen < plen ? klen : plen;
			int c = memcmp(prev, key, m);
			if (c > 0 || (c == 0 && plen >= klen))
				return 1;
		}
		first = false;
		memcpy(prev, key, klen);
		plen = klen;
		int rc = fn(udata, key, klen, p, vlen);
		if (rc != 0)
			return rc;
		p += vlen;
	}
	return 0;
}

typedef struct handle {
	uint64_t off, size;
	bool found;
} handle;

static int find_properties(void *udata, const char *key, size_t klen,
			   const uint8_t *v, size_t vlen)
{
	static const char want[] = "rocksdb.properties";
	handle *h = udata;

	if (klen != sizeof(want) - 1 || memcmp(key, want, klen) != 0)
		return 0;
	h->found = varint64(&v, v + vlen, &h->off) &&
		   varint64(&v, v + vlen, &h->size);
	return 2;
}

static int any_entry(void *udata, const char *key, size_t klen,
		     const uint8_t *v, size_t vlen)
{
	(void)udata, (void)key, (void)klen, (void)v, (void)vlen;
	return 0;
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
	uint32_t version = le32(f + 41);
	if (f[0] == 0 || f[0] > 4 || version == 0 || version > 5) {
		snprintf(why, cap,
			 "table file %s is damaged: its footer says checksum "
			 "type %u, format version %u",
			 name, f[0], version);
		rc = HS_ECORRUPT;
		goto out;
	}
	const uint8_t *p = f + 1;
	uint64_t moff, msize;
	if (!varint64(&p, f + 41, &moff) || !varint64(&p, f + 41, &msize) ||
	    msize < 4 || msize > META_MAX ||
	    moff + msize + TRAILER_BYTES > (uint64_t)st.st_size)
		goto out;
	handle h = {0};
	meta = malloc(msize);
	if (meta == NULL ||
	    pread(fd, meta, msize, (off_t)moff) != (ssize_t)msize ||
	    walk_block(meta, msize, find_properties, &h) != 2 || !h.found ||
	    h.size < 4 || h.size > META_MAX ||
	    h.off + h.size + TRAILER_BYTES > (uint64_t)st.st_size)
		goto out;
	free(meta);
	meta = malloc(h.size);
	if (meta == NULL ||
	    pread(fd, meta, h.size, (off_t)h.off) != (ssize_t)h.size)
		goto out;
	if ((le32(meta + h.size - 4) & HASH_INDEX_BIT) ||
	    walk_block(meta, h.size, any_entry, NULL) == 1) {
		snprintf(why, cap,
			 "table file %s is damaged: its properties block "
			 "(offset %llu) does not read as one",
			 name, (unsigned long long)h.off);
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
