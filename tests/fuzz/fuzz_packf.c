/*
 * hs_packf formats (codec/pack.c).
 *
 * Input: the format up to the first NUL, then bytes that the arguments
 * are made of. A variadic call cannot be built at run time, so every call
 * passes the same argument list (SLOTS below, by type) and the harness
 * rewrites each conversion of the format to one that takes the type of
 * the next slot; the structure around them (keys, nesting, separators,
 * mistakes) stays the fuzzer's. Checked: a packed value passes
 * hs_msgpack_check and prints as JSON; a failure leaves the buffer as it
 * was.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "hindsight.h"

enum { STR, MEM, INT, I64, DBL };

/* The conversions that take each type. */
static const char *const letters[] = {"s", "SBm", "iub", "IU", "d"};

/* The type of each argument slot, in order: 18 slots, 3 of each group. */
static const int slot_type[] = {STR, MEM, INT, I64, DBL, MEM,
				STR, MEM, INT, I64, DBL, MEM,
				STR, MEM, INT, I64, DBL, MEM};
#define SLOTS (sizeof(slot_type) / sizeof(slot_type[0]))

struct slot {
	const char *s;
	const void *p;
	size_t n;
	int i;
	int64_t I;
	double d;
};

/* The bytes after the format, handed out to the arguments. */
struct pool {
	const uint8_t *p;
	size_t n;
};

static uint8_t take_byte(struct pool *pl)
{
	uint8_t b = 0;

	if (pl->n > 0) {
		b = pl->p[0];
		pl->p++;
		pl->n--;
	}
	return b;
}

static const uint8_t *take(struct pool *pl, size_t *n)
{
	const uint8_t *p = pl->p;

	if (*n > pl->n)
		*n = pl->n;
	pl->p += *n;
	pl->n -= *n;
	return p;
}

static bool is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/*
 * Rewrites fmt in place (with `rewrite`) so that its k-th argument-taking
 * item takes the type of slot k; returns false when it has more items
 * than slots, or without `rewrite` when an item does not fit its slot.
 * Items are found as hs_vpackf finds them in a valid format: `*:` is a key
 * from the arguments, a run of word characters before ':' a literal key,
 * a lone conversion letter a value. (In an invalid format the guess may
 * be wrong, but hs_vpackf takes no argument before the whole format
 * checks. A rewrite can change the items, "i*:" into "sk:": hence the
 * second pass that only checks.)
 */
static bool assign(char *fmt, bool rewrite)
{
	size_t k = 0;

	for (char *f = fmt; *f != '\0';) {
		if (*f == '*' && f[1] == ':') {
			if (k < SLOTS && slot_type[k] == STR)
				k++;
			else if (rewrite)
				*f = 'k'; /* a literal key instead */
			else
				return false;
			f += 2;
			continue;
		}
		if (!is_word(*f)) {
			f++;
			continue;
		}
		char *w = f;
		while (is_word(*f))
			f++;
		if (*f == ':' || f - w != 1 || strchr("sSBiIuUdbm", *w) == NULL)
			continue;
		if (k == SLOTS)
			return false;
		/* A conversion of the slot's type stays; another becomes
		 * one. */
		const char *fit = letters[slot_type[k++]];
		if (strchr(fit, *w) == NULL) {
			if (!rewrite)
				return false;
			*w = fit[(unsigned char)*w % strlen(fit)];
		}
	}
	return true;
}

static void fill(struct slot *a, struct pool *pl, char strs[SLOTS][33])
{
	for (size_t k = 0; k < SLOTS; k++) {
		uint8_t b = take_byte(pl);
		size_t n = b & 31;
		const uint8_t *p;

		memset(&a[k], 0, sizeof(a[k]));
		switch (slot_type[k]) {
		case STR:
			p = take(pl, &n);
			memcpy(strs[k], p, n);
			strs[k][n] = '\0';
			a[k].s = b == 0xff ? NULL : strs[k];
			break;
		case MEM:
			a[k].p = take(pl, &n);
			a[k].n = n;
			if (b == 0xff)
				a[k].p = NULL;
			break;
		case INT:
			n = sizeof(a[k].i);
			memcpy(&a[k].i, take(pl, &n), n);
			break;
		case I64:
			n = sizeof(a[k].I);
			memcpy(&a[k].I, take(pl, &n), n);
			break;
		default:
			n = sizeof(a[k].d);
			memcpy(&a[k].d, take(pl, &n), n);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t before[] = {0x93, 1, 2, 3};
	char fmt[512], strs[SLOTS][33];
	struct slot a[SLOTS];
	const uint8_t *nul = memchr(data, '\0', size);
	size_t fn = nul != NULL ? (size_t)(nul - data) : size;
	struct pool pl;
	hs_buf buf = HS_BUF_INIT, json = HS_BUF_INIT;
	int rc;

	if (fn >= sizeof(fmt))
		return 0;
	memcpy(fmt, data, fn);
	fmt[fn] = '\0';
	if (!assign(fmt, true) || !assign(fmt, false))
		return 0;
	pl.p = data + fn + (nul != NULL);
	pl.n = size - fn - (nul != NULL);
	fill(a, &pl, strs);

	/* Something already in the buffer, which must stay as it is. */
	FUZZ_CHECK(hs_packf(&buf, "m", before, sizeof(before)) == 0);
	rc = hs_packf(&buf, fmt,
		      a[0].s, a[1].p, a[1].n, a[2].i, a[3].I, a[4].d, a[5].p,
		      a[5].n,
		      a[6].s, a[7].p, a[7].n, a[8].i, a[9].I, a[10].d, a[11].p,
		      a[11].n,
		      a[12].s, a[13].p, a[13].n, a[14].i, a[15].I, a[16].d,
		      a[17].p, a[17].n);
	FUZZ_CHECK(rc == 0 || rc == HS_EFORMAT || rc == HS_EBADMSG ||
		   rc == HS_EINVAL || rc == HS_ERANGE);
	FUZZ_CHECK(buf.len >= sizeof(before) &&
		   memcmp(buf.data, before, sizeof(before)) == 0);
	if (rc != 0) {
		FUZZ_CHECK(buf.len == sizeof(before));
	} else {
		const uint8_t *v = buf.data + sizeof(before);
		size_t vn = buf.len - sizeof(before);

		FUZZ_CHECK(hs_msgpack_check(v, vn) == 0);
		FUZZ_CHECK(hs_json(&json, v, vn, 0) == 0);
	}
	hs_buf_free(&buf);
	hs_buf_free(&json);
	return 0;
}
