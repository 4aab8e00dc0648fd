/*
 * The decoders of the log's keys and index values (log/keys.c,
 * log/index.c, the timers key in timer/timer.c) and the texts that name
 * a key in messages.
 *
 * Input: one byte n, then n bytes of key, then the value. Checked: a key
 * that parses is rebuilt byte for byte from its parts; the texts stay
 * inside buffers of every size and are NUL-terminated; an index value
 * decodes only from 16 bytes with a gseq.
 */
#include <string.h>

#include "fuzz.h"
#include "log/log_int.h"
#include "timer/timer.h"

/* Each text function into a heap buffer of exactly `cap` bytes, so that
 * a write past it is caught. */
static void texts(const uint8_t *k, size_t kn, size_t cap)
{
	char *out = malloc(cap > 0 ? cap : 1);

	FUZZ_CHECK(out != NULL);
	hsi_key_hex(k, kn, out, cap);
	if (cap > 0)
		FUZZ_CHECK(memchr(out, '\0', cap) != NULL);
	hsi_key_any_text(k, kn, out, cap);
	if (cap > 0)
		FUZZ_CHECK(memchr(out, '\0', cap) != NULL);
	free(out);
}

static void agents_key(const uint8_t *k, size_t kn)
{
	const char *t, *i;
	size_t tn, in;
	uint64_t seq;
	uint8_t again[HSI_KEY_MAX];

	if (hsi_key_parse(k, kn, &t, &tn, &i, &in, &seq) != 0)
		return;
	FUZZ_CHECK(hsi_key_addr_ok(t, tn, i, in));
	size_t pn = hsi_key_prefix(again, t, tn, i, in);
	hsi_be64_put(again + pn, seq);
	FUZZ_CHECK(pn + HSI_KEY_SEQ == kn && memcmp(again, k, kn) == 0);
}

static void timers_key(const uint8_t *k, size_t kn)
{
	size_t tn, in, nn;

	if (!hsi_timer_key_split((const char *)k, kn, &tn, &in, &nn))
		return;
	FUZZ_CHECK(tn + 1 + in + 1 + nn == kn);
	FUZZ_CHECK(k[tn] == '\0' && k[tn + 1 + in] == '\0');
	FUZZ_CHECK(hsi_key_addr_ok((const char *)k, tn,
				   (const char *)k + tn + 1, in));
}

static void index_value(const uint8_t *k, size_t kn, const uint8_t *v,
			size_t vn)
{
	static hsi_log log; /* only its error text is used */
	uint64_t gseq = 0;
	int64_t time_ns = 0;
	int rc;

	if (log.path == NULL) {
		log.path = "fuzz";
		pthread_mutex_init(&log.err_mu, NULL);
	}
	rc = hsi_log_index_value(&log, (const char *)k, kn, (const char *)v,
				 vn, &gseq, &time_ns);
	if (rc == 0) {
		FUZZ_CHECK(vn == 16 && gseq != 0);
		FUZZ_CHECK(gseq == hsi_be64_get(v) &&
			   (uint64_t)time_ns == hsi_be64_get(v + 8));
	} else {
		FUZZ_CHECK(rc == HS_ECORRUPT);
		FUZZ_CHECK(memchr(log.err, '\0', sizeof(log.err)) != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = {0, 1, 7, 8, 9, 31, 32, 33, 40, 64,
				      HSI_KEY_TEXT_MAX};
	size_t kn;

	if (size < 1)
		return 0;
	kn = data[0];
	if (kn > size - 1)
		kn = size - 1;
	const uint8_t *k = data + 1, *v = data + 1 + kn;
	size_t vn = size - 1 - kn;

	/* A key of any length up to the whole input. */
	agents_key(data, size);
	agents_key(k, kn);
	timers_key(k, kn);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		texts(k, kn, caps[i]);
	texts(data, size, HSI_KEY_TEXT_MAX);
	index_value(k, kn, v, vn);
	return 0;
}
