#ifndef HS_LOG_SSTCHECK_H
#define HS_LOG_SSTCHECK_H

#include <stddef.h>

/*
 * RocksDB 7.8 parses a table file's properties block before it checks
 * that block's checksum, and Debian's build asserts on what it parses: a
 * flipped bit in the block's trailer word aborts the process at open
 * (DataBlockHashIndex::Initialize, "num_buckets_ > 0"). Before opening,
 * this reads each .sst file's footer, metaindex and the trailer word of
 * its properties block, and refuses a file whose properties block says
 * it has a hash index (RocksDB never writes one there) or whose footer
 * turns checksums off. Anything it cannot follow is left to RocksDB,
 * which verifies the rest.
 *
 * 0, or HS_ECORRUPT with the file named in why.
 */
int hsi_sst_precheck(const char *dir, char *why, size_t cap);

#endif /* HS_LOG_SSTCHECK_H */
