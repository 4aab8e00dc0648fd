/* Helpers shared by the commands of the `hindsight` tool (cli.h). */
#include "cli.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codec/json.h"
#include "codec/json_parse.h"
#include "codec/mpread.h"
#include "common/buf.h"

/* ------------------------------------------------------------------ */
/* Messages                                                             */
/* ------------------------------------------------------------------ */

static void vmessage(const cli_cmd *cmd, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "hindsight%s%s: ", cmd ? " " : "",
		cmd ? cmd->name : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cmd, fmt, ap);
	va_end(ap);
}

int cli_usage(const cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cmd, fmt, ap);
	va_end(ap);
	fprintf(stderr, "usage: hindsight %s %s\n(more: hindsight %s --help)\n",
		cmd->name, cmd->synopsis, cmd->name);
	return CLI_EXIT_USAGE;
}

int cli_help(const cli_cmd *cmd)
{
	printf("usage: hindsight %s %s\n\n%s\n\n%s", cmd->name, cmd->synopsis,
	       cmd->summary, cmd->help);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

/* ------------------------------------------------------------------ */
/* Options                                                              */
/* ------------------------------------------------------------------ */

void cli_args_init(cli_args *a, const cli_cmd *cmd, const cli_opt *opts,
		   int argc, char **argv)
{
	*a = (cli_args){cmd, opts, argc, argv, 1, false};
}

static int take_value(cli_args *a, const cli_opt *o, const char *inline_val,
		      const char **val)
{
	if (inline_val != NULL) {
		*val = inline_val;
		return o->id;
	}
	if (a->i >= a->argc) {
		cli_usage(a->cmd, "option --%s needs a value", o->name);
		return CLI_ARG_ERR;
	}
	*val = a->argv[a->i++];
	return o->id;
}

int cli_args_next(cli_args *a, const char **val)
{
	const char *arg;

	*val = NULL;
	if (a->i >= a->argc)
		return CLI_ARG_END;
	arg = a->argv[a->i++];
	if (a->only_pos || arg[0] != '-' || arg[1] == '\0') {
		*val = arg;
		return CLI_ARG_POS;
	}
	if (arg[1] == '-') {
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t n = eq != NULL ? (size_t)(eq - name) : strlen(name);

		if (n == 0) {
			a->only_pos = true;
			return cli_args_next(a, val);
		}
		if (n == 4 && memcmp(name, "help", 4) == 0 && eq == NULL)
			return CLI_ARG_HELP;
		for (const cli_opt *o = a->opts; o && o->name; o++) {
			if (strlen(o->name) != n || memcmp(o->name, name, n))
				continue;
			if (o->has_arg)
				return take_value(a, o, eq ? eq + 1 : NULL,
						  val);
			if (eq != NULL) {
				cli_usage(a->cmd, "option --%s takes no value",
					  o->name);
				return CLI_ARG_ERR;
			}
			return o->id;
		}
		cli_usage(a->cmd, "unknown option --%.*s", (int)n, name);
		return CLI_ARG_ERR;
	}
	if (arg[1] == 'h' && arg[2] == '\0')
		return CLI_ARG_HELP;
	for (const cli_opt *o = a->opts; o && o->name; o++) {
		if (o->short_name == 0 || o->short_name != arg[1])
			continue;
		if (o->has_arg)
			return take_value(a, o, arg[2] ? arg + 2 : NULL, val);
		if (arg[2] != '\0') {
			cli_usage(a->cmd, "unknown option %s", arg);
			return CLI_ARG_ERR;
		}
		return o->id;
	}
	cli_usage(a->cmd, "unknown option %s", arg);
	return CLI_ARG_ERR;
}

/* ------------------------------------------------------------------ */
/* Values                                                               */
/* ------------------------------------------------------------------ */

int cli_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

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

int cli_parse_addr(const char *s, cli_addr *out, const char **why)
{
	const char *slash = strchr(s, '/');
	size_t tn, in;

	if (slash == NULL) {
		*why = "expected TYPE/ID, e.g. ship/Gloria";
		return -1;
	}
	tn = (size_t)(slash - s);
	in = strlen(slash + 1);
	if (tn == 0 || in == 0) {
		*why = tn == 0 ? "the agent type is empty (expected TYPE/ID)"
			       : "the agent id is empty (expected TYPE/ID)";
		return -1;
	}
	if (tn > HS_NAME_MAX || in > HS_ID_MAX) {
		*why = tn > HS_NAME_MAX ? "the agent type is longer than 63 "
					  "bytes"
					: "the agent id is longer than 255 "
					  "bytes";
		return -1;
	}
	memcpy(out->type, s, tn);
	out->type[tn] = '\0';
	memcpy(out->id, slash + 1, in + 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Opening                                                              */
/* ------------------------------------------------------------------ */

int cli_db_open(cli_db *db, const cli_cmd *cmd, const char *path)
{
	char err[1024];
	int rc;

	memset(db, 0, sizeof(*db));
	db->cmd = cmd;
	db->path = path;
	rc = hsi_log_open(path, HSI_LOG_READONLY, &db->log, err, sizeof(err));
	if (rc == 0)
		return 0;
	db->log = NULL;
	if (err[0] == '\0')
		snprintf(err, sizeof(err), "%s: %s", path, hs_strerror(rc));
	switch (rc) {
	case HS_EVERSION:
		cli_error(cmd, "%s (this is hindsight %s, format %d: use a "
			       "newer hindsight)",
			  err, HS_VERSION_TEXT, HSI_FORMAT_VERSION);
		break;
	case HS_ENOTLOG:
		cli_error(cmd, "%s%s (a hindsight log is the directory a "
			       "program passed as hs_options.path)",
			  err,
			  strstr(err, "not a hindsight log") != NULL
				  ? ""
				  : ": not a hindsight log");
		break;
	default:
		cli_error(cmd, "%s", err);
	}
	return CLI_EXIT_USAGE;
}

static int load_plugin(cli_db *db, const char *path)
{
	char buf[PATH_MAX + 3];
	const char *p = path;
	struct stat st;
	void *h, *sym;
	hs_plugin_fn fn;
	int rc;

	/* dlopen searches the library path for a name without '/': a
	 * types plugin is a file the user names. */
	if (strchr(path, '/') == NULL) {
		snprintf(buf, sizeof(buf), "./%s", path);
		p = buf;
	}
	if (stat(p, &st) != 0) {
		cli_error(db->cmd, "cannot load types plugin %s: %s", path,
			  strerror(errno));
		return CLI_EXIT_USAGE;
	}
	h = dlopen(p, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();

		cli_error(db->cmd,
			  "cannot load types plugin %s: %s (a types plugin "
			  "is a shared object built from the program's "
			  "agent types; see docs/CLI.md)",
			  path, e ? e : "dlopen failed");
		return CLI_EXIT_USAGE;
	}
	db->plugin = h;
	dlerror();
	sym = dlsym(h, HS_PLUGIN_SYMBOL);
	if (sym == NULL) {
		cli_error(db->cmd,
			  "types plugin %s does not export %s(): it must "
			  "define `HS_PLUGIN_EXPORT int %s(hs_runtime *rt)` "
			  "(see docs/CLI.md)",
			  path, HS_PLUGIN_SYMBOL, HS_PLUGIN_SYMBOL);
		return CLI_EXIT_USAGE;
	}
	/* POSIX guarantees a dlsym result converts to a function pointer;
	 * memcpy keeps ISO C quiet about it. */
	memcpy(&fn, &sym, sizeof(fn));
	rc = fn(db->rt);
	if (rc != 0) {
		cli_error(db->cmd, "types plugin %s: %s() failed: %s", path,
			  HS_PLUGIN_SYMBOL,
			  rc < 0 ? hs_strerror(rc) : "non-zero result");
		return CLI_EXIT_USAGE;
	}
	db->types = path;
	return 0;
}

int cli_db_runtime(cli_db *db, const char *types)
{
	hs_options o;
	char err[1024];
	int rc;

	hs_options_init(&o);
	o.path = db->path;
	o.read_only = true;
	o.workers = 1;
	rc = hs_open_err(&db->rt, &o, err, sizeof(err));
	if (rc != 0) {
		db->rt = NULL;
		cli_error(db->cmd, "%s", err[0] ? err : hs_strerror(rc));
		return CLI_EXIT_USAGE;
	}
	return types != NULL ? load_plugin(db, types) : 0;
}

void cli_db_close(cli_db *db)
{
	if (db == NULL)
		return;
	/* The runtime holds the plugin's type definitions: close it
	 * first. */
	hs_close(db->rt);
	db->rt = NULL;
	if (db->plugin != NULL)
		dlclose(db->plugin);
	db->plugin = NULL;
	hsi_log_close(db->log);
	db->log = NULL;
}

int cli_db_agent(cli_db *db, const cli_addr *ag, uint64_t *last,
		 uint64_t *last_gseq)
{
	uint64_t s, g;
	int rc = hsi_log_agent_last(db->log, ag->type, strlen(ag->type),
				    ag->id, strlen(ag->id), &s, &g);

	if (rc == HS_ENOTFOUND) {
		cli_error(db->cmd,
			  "unknown agent %s/%s: %s has no record of it "
			  "(`hindsight stats` lists the agent types, "
			  "`hindsight log --type %s` their records)",
			  ag->type, ag->id, db->path, ag->type);
		return CLI_EXIT_USAGE;
	}
	if (rc != 0) {
		char err[700];

		hsi_log_error(db->log, err, sizeof(err));
		cli_error(db->cmd, "%s", err);
		return CLI_EXIT_USAGE;
	}
	if (last != NULL)
		*last = s;
	if (last_gseq != NULL)
		*last_gseq = g;
	return 0;
}

void cli_need_types(const cli_cmd *cmd, const char *type)
{
	cli_error(cmd,
		  "replay needs the code of agent type '%s': pass --types "
		  "LIB.so (a types plugin: a shared object that exports %s(); "
		  "see docs/CLI.md)",
		  type, HS_PLUGIN_SYMBOL);
}

int cli_db_fail(cli_db *db, int rc, const char *what)
{
	char text[600];

	hs_last_error(db->rt, text, sizeof(text));
	if (text[0] == '\0')
		snprintf(text, sizeof(text), "%s", hs_strerror(rc));
	if (rc == HS_ENOTYPE && db->types != NULL)
		cli_error(db->cmd,
			  "%s: %s (the types plugin %s does not register "
			  "it)",
			  what, text, db->types);
	else if (rc == HS_ENOTYPE)
		cli_error(db->cmd, "%s: %s: pass --types LIB.so (see "
				   "docs/CLI.md)",
			  what, text);
	else if (rc == HS_ENOAGENT || rc == HS_ERANGE || rc == HS_EINVAL)
		cli_error(db->cmd, "%s", text);
	else if (rc == HS_ECORRUPT || rc == HS_EVERSION)
		cli_error(db->cmd, "%s: %s (hindsight check tells more)", what,
			  text);
	else
		cli_error(db->cmd,
			  "%s: %s (%s; `hindsight verify` shows where "
			  "today's code disagrees with the log)",
			  what, text, hs_strerror(rc));
	return CLI_EXIT_USAGE;
}

/* ------------------------------------------------------------------ */
/* Records                                                              */
/* ------------------------------------------------------------------ */

int cli_read_record(cli_db *db, uint64_t gseq, hs_buf *buf, hsi_record *r)
{
	char err[700];
	int rc;

	hs_buf_reset(buf);
	rc = hsi_log_get_event(db->log, gseq, buf);
	if (rc != 0) {
		hsi_log_error(db->log, err, sizeof(err));
		cli_error(db->cmd, "%s", err);
		return CLI_EXIT_USAGE;
	}
	rc = hsi_record_decode(buf->data, buf->len, r);
	if (rc == 0 && r->gseq != gseq)
		rc = HS_ECORRUPT;
	if (rc != 0) {
		cli_error(db->cmd, "%s: events key %016" PRIx64 ": %s",
			  db->path, gseq,
			  rc == HS_EVERSION ? "record of a newer format"
					    : "record does not decode");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

int cli_put(hs_buf *b, const char *s)
{
	return hsi_buf_append(b, s, strlen(s));
}

int cli_putf(hs_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return HS_EINVAL;
	if ((size_t)n < sizeof(small))
		return hsi_buf_append(b, small, (size_t)n);
	if (hsi_buf_reserve(b, (size_t)n + 1) != 0)
		return HS_ENOMEM;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int cli_put_json_str(hs_buf *b, const char *s, size_t n)
{
	return hsi_json_str(b, s, n);
}

int cli_put_name(hs_buf *b, const char *s, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			rc = cli_putf(b, "\\x%02x", c);
		else
			rc = hsi_buf_append(b, &c, 1);
	}
	return rc;
}

int cli_put_addr(hs_buf *b, const char *type, const char *id)
{
	int rc = cli_put_name(b, type, strlen(type));

	if (rc == 0)
		rc = cli_put(b, "/");
	if (rc == 0)
		rc = cli_put_name(b, id, strlen(id));
	return rc;
}

int cli_put_record_line(hs_buf *b, const hs_record *r)
{
	char t[CLI_TIME_MAX];
	int rc;

	cli_format_time(r->time_ns, t, sizeof(t));
	rc = cli_putf(b, "gseq %" PRIu64 "  %s  ", r->gseq, t);
	if (rc == 0)
		rc = cli_put_addr(b, r->agent.type, r->agent.id);
	if (rc == 0)
		rc = cli_putf(b, " #%" PRIu64 "  ", r->seq);
	if (rc == 0)
		rc = cli_put_name(b, r->event_type, strlen(r->event_type));
	if (rc == 0 && r->body_len != 0) {
		rc = cli_put(b, " ");
		if (rc == 0)
			rc = hs_json(b, r->body, r->body_len, 0);
	}
	if (rc == 0 && r->cause_seq != 0) {
		rc = cli_put(b, "  caused by ");
		if (rc == 0)
			rc = cli_put_addr(b, r->cause.type, r->cause.id);
		if (rc == 0)
			rc = cli_putf(b, " #%" PRIu64 " (gseq %" PRIu64 ")",
				      r->cause_seq, r->cause_gseq);
	}
	return rc;
}

int cli_put_record_json(hs_buf *b, const hs_record *r, bool open)
{
	char t[CLI_TIME_MAX];
	int rc;

	cli_format_time(r->time_ns, t, sizeof(t));
	rc = cli_putf(b,
		      "{\"gseq\":%" PRIu64 ",\"seq\":%" PRIu64
		      ",\"time_ns\":%" PRId64 ",\"time\":\"%s\",\"type\":",
		      r->gseq, r->seq, r->time_ns, t);
	if (rc == 0)
		rc = cli_put_json_str(b, r->agent.type, strlen(r->agent.type));
	if (rc == 0)
		rc = cli_put(b, ",\"id\":");
	if (rc == 0)
		rc = cli_put_json_str(b, r->agent.id, strlen(r->agent.id));
	if (rc == 0)
		rc = cli_put(b, ",\"event\":");
	if (rc == 0)
		rc = cli_put_json_str(b, r->event_type, strlen(r->event_type));
	if (rc == 0)
		rc = cli_put(b, ",\"body\":");
	if (rc == 0)
		rc = r->body_len != 0 ? hs_json(b, r->body, r->body_len, 0)
				      : cli_put(b, "null");
	if (rc == 0)
		rc = cli_put(b, ",\"cause\":");
	if (rc == 0 && r->cause_seq == 0)
		rc = cli_put(b, "null");
	else if (rc == 0) {
		rc = cli_put(b, "{\"type\":");
		if (rc == 0)
			rc = cli_put_json_str(b, r->cause.type,
					      strlen(r->cause.type));
		if (rc == 0)
			rc = cli_put(b, ",\"id\":");
		if (rc == 0)
			rc = cli_put_json_str(b, r->cause.id,
					      strlen(r->cause.id));
		if (rc == 0)
			rc = cli_putf(b,
				      ",\"seq\":%" PRIu64 ",\"gseq\":%" PRIu64
				      "}",
				      r->cause_seq, r->cause_gseq);
	}
	if (rc == 0)
		rc = cli_putf(b, ",\"state_hash\":\"%016" PRIx64 "\"%s",
			      r->state_hash, open ? "" : "}");
	return rc;
}

/* Appends one msgpack value as compact JSON, or `missing`. */
static int put_value(hs_buf *b, const hs_value *v)
{
	return hs_json(b, v->raw, v->raw_len, 0);
}

int cli_put_diff_lines(hs_buf *b, const hs_buf *diff_json, const char *indent)
{
	hs_buf mp = HS_BUF_INIT;
	const uint8_t *p, *end, *in;
	hs_value arr, item, path, old, new;
	int rc;

	rc = hsi_json_to_msgpack(&mp, (const char *)diff_json->data,
				 diff_json->len, 64, NULL);
	if (rc == 0)
		rc = hsi_mp_read(mp.data, mp.data + mp.len, &arr, &in);
	if (rc == 0 && arr.kind != HS_ARRAY)
		rc = HS_EBADMSG;
	if (rc != 0) {
		hs_buf_free(&mp);
		return rc;
	}
	if (arr.len == 0)
		rc = cli_putf(b, "%s(no change)\n", indent);
	end = mp.data + mp.len;
	p = in;
	for (size_t i = 0; rc == 0 && i < arr.len; i++) {
		if ((rc = hsi_mp_read(p, end, &item, NULL)) != 0)
			break;
		bool has_old = hs_get(item.raw, item.raw_len, "old", &old) == 0;
		bool has_new = hs_get(item.raw, item.raw_len, "new", &new) == 0;

		p = item.raw + item.raw_len;
		rc = cli_put(b, indent);
		if (rc == 0 && hs_get(item.raw, item.raw_len, "path", &path) ==
				       0 &&
		    path.kind == HS_STR && path.len != 0)
			rc = cli_put_name(b, path.as.str, path.len);
		else if (rc == 0)
			rc = cli_put(b, "(the whole state)");
		if (rc == 0)
			rc = cli_put(b, ": ");
		if (rc == 0 && has_old && has_new) {
			rc = put_value(b, &old);
			if (rc == 0)
				rc = cli_put(b, " -> ");
			if (rc == 0)
				rc = put_value(b, &new);
		} else if (rc == 0 && has_new) {
			rc = cli_put(b, "+ ");
			if (rc == 0)
				rc = put_value(b, &new);
		} else if (rc == 0 && has_old) {
			rc = cli_put(b, "- ");
			if (rc == 0)
				rc = put_value(b, &old);
			if (rc == 0)
				rc = cli_put(b, " (removed)");
		}
		if (rc == 0)
			rc = cli_put(b, "\n");
	}
	hs_buf_free(&mp);
	return rc;
}

int cli_flush(hs_buf *b)
{
	size_t n = b->len;

	hs_buf_reset(b);
	if (n != 0 && fwrite(b->data, 1, n, stdout) != n)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Filters                                                              */
/* ------------------------------------------------------------------ */

static int name_opt(const cli_cmd *cmd, const char *opt, const char *val,
		    char *dst)
{
	size_t n = strlen(val);

	if (n == 0 || n > HS_NAME_MAX)
		return cli_usage(cmd, "--%s: a name of 1 to %d bytes", opt,
				 HS_NAME_MAX);
	memcpy(dst, val, n + 1);
	return 0;
}

int cli_filter_opt(cli_filter *cf, const cli_cmd *cmd, int id, const char *val)
{
	const char *why = NULL;
	uint64_t u;

	switch (id) {
	case CLI_OPT_AGENT:
		if (cli_parse_addr(val, &cf->agent, &why) != 0)
			return cli_usage(cmd, "--agent %s: %s", val, why);
		cf->has_agent = true;
		return 0;
	case CLI_OPT_TYPE:
		return name_opt(cmd, "type", val, cf->type);
	case CLI_OPT_EVENT:
		return name_opt(cmd, "event", val, cf->event);
	case CLI_OPT_SINCE:
	case CLI_OPT_UNTIL: {
		int64_t t;
		bool since = id == CLI_OPT_SINCE;

		if (cli_parse_time(val, &t, &why) != 0)
			return cli_usage(cmd,
					 "malformed time for --%s: '%s': %s "
					 "(expected RFC 3339, e.g. "
					 "2026-11-22T10:00:00Z, or integer "
					 "nanoseconds)",
					 since ? "since" : "until", val, why);
		if (since) {
			cf->f.since_ns = t;
			cf->f.has_since = true;
		} else {
			cf->f.until_ns = t;
			cf->f.has_until = true;
		}
		return 0;
	}
	case CLI_OPT_FROM:
	case CLI_OPT_TO:
		if (cli_parse_u64(val, &u) != 0 || u == 0)
			return cli_usage(cmd, "--%s: '%s' is not a gseq (an "
					      "integer >= 1)",
					 id == CLI_OPT_FROM ? "from" : "to",
					 val);
		if (id == CLI_OPT_FROM)
			cf->f.from_gseq = u;
		else
			cf->f.to_gseq = u;
		return 0;
	case CLI_OPT_REVERSE:
		cf->f.reverse = true;
		return 0;
	case CLI_OPT_LIMIT:
		if (cli_parse_u64(val, &u) != 0 || u == 0)
			return cli_usage(cmd, "--limit: '%s' is not a count "
					      "(an integer >= 1)",
					 val);
		cf->f.limit = u;
		return 0;
	default:
		return cli_usage(cmd, "internal: unknown filter option");
	}
}

int cli_filter_done(cli_filter *cf, const cli_cmd *cmd)
{
	hs_filter *f = &cf->f;

	if (cf->has_agent && cf->type[0] != '\0' &&
	    strcmp(cf->type, cf->agent.type) != 0)
		return cli_usage(cmd, "--agent %s/%s and --type %s disagree",
				 cf->agent.type, cf->agent.id, cf->type);
	if (f->to_gseq != 0 && f->from_gseq > f->to_gseq)
		return cli_usage(cmd, "--from %" PRIu64 " is after --to %" PRIu64,
				 f->from_gseq, f->to_gseq);
	if (f->has_since && f->has_until && f->since_ns > f->until_ns)
		return cli_usage(cmd, "--since is after --until");
	f->type = cf->has_agent ? cf->agent.type
				: cf->type[0] ? cf->type : NULL;
	f->id = cf->has_agent ? cf->agent.id : NULL;
	f->event_type = cf->event[0] ? cf->event : NULL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Progress                                                             */
/* ------------------------------------------------------------------ */

double cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* When the command's first piece of work began: progress shows once the
 * command as a whole has run for a second, whichever phase it is in. */
static double work_began;

void cli_progress_start(cli_progress *p, const char *what, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	if (work_began == 0)
		work_began = cli_now();
	p->tty = isatty(STDERR_FILENO) == 1;
	p->what = what;
	p->total = total;
	p->start = p->last = cli_now();
}

/* 1234567 as "1,234,567". */
static void grouped(uint64_t v, char *out, size_t cap)
{
	char d[32];
	int n = snprintf(d, sizeof(d), "%" PRIu64, v);
	size_t o = 0;

	for (int i = 0; i < n && o + 2 < cap; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = d[i];
	}
	out[o] = '\0';
}

void cli_progress_tick(cli_progress *p, uint64_t done)
{
	char a[32], b[32], r[32], eta[32] = "";
	double now, rate;

	/* The clock is cheap, but not free: look at it every 256 ticks. */
	if (!p->tty || (++p->ticks & 255) != 0)
		return;
	now = cli_now();
	if (now - work_began < 1.0 || now - p->last < 0.2)
		return;
	p->last = now;
	rate = now > p->start ? (double)done / (now - p->start) : 0;
	grouped(done, a, sizeof(a));
	grouped((uint64_t)rate, r, sizeof(r));
	if (p->total != 0 && done <= p->total) {
		grouped(p->total, b, sizeof(b));
		if (rate > 0)
			snprintf(eta, sizeof(eta), "  ETA %.0fs",
				 (double)(p->total - done) / rate);
		fprintf(stderr, "\r\033[K%s: %s of %s (%.0f%%)  %s/s%s",
			p->what, a, b, 100.0 * (double)done / (double)p->total,
			r, eta);
	} else {
		fprintf(stderr, "\r\033[K%s: %s  %s/s", p->what, a, r);
	}
	p->shown = true;
}

void cli_progress_end(cli_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}
