/*
 * The raw RocksDB peers' record (bench_w4's raw writer, bench_layouts):
 * hindsight's record shape packed with msgpack-c directly. Only for
 * programs that link msgpack-c; bench_util.h stays on hindsight.h alone.
 */
#ifndef HS_BENCH_BENCH_RAW_H
#define HS_BENCH_BENCH_RAW_H

#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Replaces sb's contents with the record (array of 10: version, type
 * "ship", id, seq, gseq, time, event type, body as packed, no cause,
 * a state hash). Exits on failure. */
static inline void bench_pack_record(msgpack_sbuffer *sb, msgpack_packer *pk,
				     const char *id, size_t id_len,
				     uint64_t seq, uint64_t gseq,
				     int64_t time_ns, const char *event,
				     size_t event_len, const uint8_t *body,
				     size_t body_len)
{
	msgpack_sbuffer_clear(sb);
	if (msgpack_pack_array(pk, 10) || msgpack_pack_uint32(pk, 1) ||
	    msgpack_pack_str_with_body(pk, "ship", 4) ||
	    msgpack_pack_str_with_body(pk, id, id_len) ||
	    msgpack_pack_uint64(pk, seq) || msgpack_pack_fix_uint64(pk, gseq) ||
	    msgpack_pack_int64(pk, time_ns) ||
	    msgpack_pack_str_with_body(pk, event, event_len) ||
	    msgpack_sbuffer_write(sb, (const char *)body, body_len) ||
	    msgpack_pack_nil(pk) ||
	    msgpack_pack_fix_uint64(pk, gseq * 0x9e3779b97f4a7c15ull)) {
		fprintf(stderr, "msgpack_pack failed\n");
		exit(1);
	}
}

#endif
