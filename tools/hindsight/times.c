/* Times: RFC 3339 or integer nanoseconds in, RFC 3339 in UTC out
 * (times.h). */
#include "times.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "args.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n digits at s as a number; -1 if they are not all digits. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int bad_time(const char **why, const char *text)
{
	if (why != NULL)
		*why = text;
	return -1;
}

static int parse_rfc3339(const char *s, int64_t *out, const char **why)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30,
					 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec;
	int64_t frac = 0, off = 0;
	size_t i;

	if (strlen(s) < 20)
		return bad_time(why, "too short for RFC 3339");
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 0 || s[4] != '-' || mo < 0 || s[7] != '-' || d < 0)
		return bad_time(why, "the date is not YYYY-MM-DD");
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return bad_time(why, "expected 'T' between date and time");
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	if (h < 0 || s[13] != ':' || mi < 0 || s[16] != ':' || sec < 0)
		return bad_time(why, "the time of day is not hh:mm:ss");
	if (mo < 1 || mo > 12)
		return bad_time(why, "month out of range");
	unsigned dim = mdays[mo - 1] + (mo == 2 && leap(y));
	if (d < 1 || (unsigned)d > dim)
		return bad_time(why, "day out of range for the month");
	if (h > 23 || mi > 59 || sec > 60)
		return bad_time(why, "time of day out of range");
	i = 19;
	if (s[i] == '.') {
		int nd = 0;

		i++;
		while (s[i] >= '0' && s[i] <= '9') {
			if (++nd > 9)
				return bad_time(why, "more than 9 digits of "
						     "fraction (nanoseconds "
						     "are the finest)");
			frac = frac * 10 + (s[i] - '0');
			i++;
		}
		if (nd == 0)
			return bad_time(why, "expected digits after '.'");
		for (; nd < 9; nd++)
			frac *= 10;
	}
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		int oh = digits(s + i + 1, 2), om;

		if (oh < 0 || s[i + 3] != ':' ||
		    (om = digits(s + i + 4, 2)) < 0 || oh > 23 || om > 59)
			return bad_time(why, "the offset is not +hh:mm or "
					     "-hh:mm");
		off = (int64_t)(oh * 60 + om) * 60;
		if (s[i] == '-')
			off = -off;
		i += 6;
	} else {
		return bad_time(why, "expected 'Z' or an offset (+hh:mm) "
				     "after the time");
	}
	if (s[i] != '\0')
		return bad_time(why, "unexpected text after the time");

	int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
		       h * 3600 + mi * 60 + sec - off;
	int64_t ns;
	/* In the last second before 1677-09-21T00:12:44Z secs * 10^9 is
	 * below INT64_MIN but the sum is not (cli_format_time prints such
	 * times): add the fraction as a negative one to the next second. */
	if (secs < 0 && frac > 0) {
		secs++;
		frac -= 1000000000;
	}
	if (__builtin_mul_overflow(secs, (int64_t)1000000000, &ns) ||
	    __builtin_add_overflow(ns, frac, &ns))
		return bad_time(why, "outside the range of 64-bit "
				     "nanoseconds (years 1678 to 2262)");
	*out = ns;
	return 0;
}

int cli_parse_time(const char *s, int64_t *out, const char **why)
{
	const char *p = s;
	bool neg = false;

	if (s == NULL || *s == '\0')
		return bad_time(why, "empty");
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (*p >= '0' && *p <= '9' && strspn(p, "0123456789") == strlen(p)) {
		uint64_t v;

		if (cli_parse_u64(p, &v) != 0 ||
		    v > (uint64_t)INT64_MAX + (neg ? 1 : 0))
			return bad_time(why, "integer nanoseconds out of range");
		*out = neg ? (int64_t)(0 - v) : (int64_t)v;
		return 0;
	}
	return parse_rfc3339(s, out, why);
}

void cli_format_time(int64_t ns, char *out, size_t cap)
{
	int64_t secs = ns / 1000000000, frac = ns % 1000000000;
	int64_t y;
	unsigned mo, d;

	if (frac < 0) {
		frac += 1000000000;
		secs--;
	}
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	snprintf(out, cap,
		 "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d.%09" PRId64 "Z", y,
		 mo, d, (int)(rem / 3600), (int)(rem / 60 % 60),
		 (int)(rem % 60), frac);
}
