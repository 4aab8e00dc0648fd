/*
 * The CLI's times (tools/hindsight/times.c): RFC 3339 or integer
 * nanoseconds in, RFC 3339 out. Checked: a time that parses prints as
 * RFC 3339 that parses back to the same nanoseconds, and so does every
 * int64 (the input's first 8 bytes): `hindsight export` prints each
 * record's time and `import` parses it.
 */
#include <string.h>

#include "fuzz.h"
#include "times.h"

static void round_trip(int64_t t)
{
	char text[CLI_TIME_MAX];
	const char *why = NULL;
	int64_t back = 0;

	cli_format_time(t, text, sizeof(text));
	if (cli_parse_time(text, &back, &why) != 0) {
		fprintf(stderr, "%lld printed as %s does not parse: %s\n",
			(long long)t, text, why);
		abort();
	}
	FUZZ_CHECK(back == t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	const char *why = NULL;
	int64_t t;

	FUZZ_CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	if (cli_parse_time(s, &t, &why) == 0)
		round_trip(t);
	else
		FUZZ_CHECK(why != NULL);
	free(s);

	if (size >= sizeof(t)) {
		memcpy(&t, data, sizeof(t));
		round_trip(t);
	}
	return 0;
}
