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

#include "bench_util.h"

/* Replaces sb's contents with ship agent a's record for round r: a
 * random port and cargo (from *rng, as bench_ship_body), id
 * "ship-%06lu" (written to id, 32 bytes; its length is returned), event
 * "depart" or "arrive" by r, in hindsight's record shape (array of 10:
 * version, type "ship", id, seq, gseq, time, event type, body, no cause,
 * a state hash). Exits on failure. */
static inline size_t bench_raw_record(msgpack_sbuffer *sb, msgpack_packer *pk,
				      uint64_t *rng, unsigned long a,
				      unsigned long r, uint64_t seq,
				      uint64_t gseq, int64_t time_ns,
				      char id[32])
{
	uint8_t body[40];
	const char *port = bench_ports[bench_rand(rng) % BENCH_NPORTS];
	int64_t cargo = (int64_t)bench_uniform(rng, 1, 100);
	size_t body_len = bench_ship_body(body, port, cargo);
	size_t id_len = (size_t)snprintf(id, 32, "ship-%06lu", a);
	const char *event = (r & 1) ? "arrive" : "depart";

	msgpack_sbuffer_clear(sb);
	if (msgpack_pack_array(pk, 10) || msgpack_pack_uint32(pk, 1) ||
	    msgpack_pack_str_with_body(pk, "ship", 4) ||
	    msgpack_pack_str_with_body(pk, id, id_len) ||
	    msgpack_pack_uint64(pk, seq) || msgpack_pack_fix_uint64(pk, gseq) ||
	    msgpack_pack_int64(pk, time_ns) ||
	    msgpack_pack_str_with_body(pk, event, 6) ||
	    msgpack_sbuffer_write(sb, (const char *)body, body_len) ||
	    msgpack_pack_nil(pk) ||
	    msgpack_pack_fix_uint64(pk, gseq * 0x9e3779b97f4a7c15ull)) {
		fprintf(stderr, "msgpack_pack failed\n");
		exit(1);
	}
	return id_len;
}

#endif
