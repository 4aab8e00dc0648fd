/*
 * `hindsight import`'s lines (tools/hindsight/import_parse.c): the input
 * is a file of JSON Lines, each line parsed as the command parses it
 * (without writing anything). Checked: a record line gives a record that
 * the log's encoder writes and its decoder reads back, a snapshot line a
 * state that is one valid msgpack value.
 */
#include <string.h>

#include "fuzz.h"
#include "import.h"

static void check_record(const cli_import_record *p)
{
	hs_buf out = HS_BUF_INIT;
	hsi_record r;
	size_t off;

	FUZZ_CHECK(p->r.type_len >= 1 && p->r.type_len <= HS_NAME_MAX);
	FUZZ_CHECK(p->r.id_len >= 1 && p->r.id_len <= HS_ID_MAX);
	FUZZ_CHECK(p->r.seq >= 1 && p->r.gseq >= 1);
	FUZZ_CHECK(hsi_record_encode(&p->r, &out, &off) == 0);
	hsi_record_patch_gseq(out.data, off, p->r.gseq);
	FUZZ_CHECK(hsi_record_decode(out.data, out.len, &r) == 0);
	FUZZ_CHECK(r.seq == p->r.seq && r.gseq == p->r.gseq &&
		   r.time_ns == p->r.time_ns &&
		   r.state_hash == p->r.state_hash &&
		   r.body_len == p->r.body_len &&
		   r.cause.seq == p->r.cause.seq);
	hs_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cli_importer im;
	cli_import_line line;
	const char *p = (const char *)data, *end = p + size;

	memset(&im, 0, sizeof(im));
	im.cmd = &cli_cmd_import;
	im.input = "fuzz";
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		im.line++;
		if (n > 0 && cli_import_parse(&im, p, n, &line) == 0) {
			if (line.is_snapshot)
				FUZZ_CHECK(hs_msgpack_check(im.state.data,
							    im.state.len) == 0);
			else
				check_record(&line.rec);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	hs_buf_free(&im.mp);
	hs_buf_free(&im.state);
	hs_buf_free(&im.rec);
	return 0;
}
