/* hindsight stats: what a log holds, in a glance. */
#include "cli.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int run(int argc, char **argv);

const cli_cmd cli_cmd_stats = {
	.name = "stats",
	.synopsis = "DB [--json]",
	.summary = "Events, agents, types, snapshots, first/last gseq and "
		   "time, size.",
	.help = "options:\n"
		"      --json   one JSON object: events, agents, types, "
		"snapshots, first_gseq,\n"
		"               last_gseq, first_time, last_time (and _ns), "
		"size_bytes, format,\n"
		"               base_gseq (the last gseq archived by a cut, "
		"0 if none),\n"
		"               by_type (agents and transitions of each "
		"type)\n",
	.run = run,
};

typedef struct stats {
	cli_db *db;
	cli_tally tally;
	uint64_t snapshots;
	hs_buf scratch;
	cli_progress progress;
	int err;
} stats;

static int count_snapshots(stats *s, const char *type, size_t tn,
			   const char *id, size_t in)
{
	uint64_t max = UINT64_MAX, seq;

	for (;;) {
		hs_buf_reset(&s->scratch);
		int rc = hsi_log_snapshot_at(s->db->log, type, tn, id, in, max,
					     &seq, &s->scratch);
		if (rc == HS_ENOTFOUND)
			return 0;
		if (rc != 0)
			return rc;
		s->snapshots++;
		cli_progress_tick(&s->progress, s->snapshots);
		if (seq <= 1)
			return 0;
		max = seq - 1;
	}
}

static int on_agent(void *udata, const char *type, size_t tn, const char *id,
		    size_t in, uint64_t last_seq)
{
	stats *s = udata;
	int rc = cli_tally_add(&s->tally, type, tn, last_seq);

	return rc != 0 ? rc : count_snapshots(s, type, tn, id, in);
}

static uint64_t dir_bytes(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	uint64_t total = 0;
	char p[4096];

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		if (lstat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			total += dir_bytes(p);
		else if (S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
	}
	closedir(d);
	return total;
}

static int first_gseq_fn(void *udata, uint64_t gseq, const void *rec,
			 size_t len)
{
	(void)rec;
	(void)len;
	*(uint64_t *)udata = gseq;
	return 1; /* stop */
}

static void put_time_field(hs_buf *b, const char *key, bool have, int64_t ns)
{
	char t[CLI_TIME_MAX];

	if (!have) {
		cli_putf(b, ",\"%s_ns\":null,\"%s\":null", key, key);
		return;
	}
	cli_format_time(ns, t, sizeof(t));
	cli_putf(b, ",\"%s_ns\":%" PRId64 ",\"%s\":\"%s\"", key, ns, key, t);
}

static void human_bytes(uint64_t n, char *out, size_t cap)
{
	static const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%" PRIu64 " bytes", n);
	else
		snprintf(out, cap, "%" PRIu64 " bytes (%.1f %s)", n, v,
			 units[u]);
}

static int run(int argc, char **argv)
{
	static const cli_opt opts[] = {{"json", 0, false, 1}, {NULL, 0, 0, 0}};
	const cli_cmd *cmd = &cli_cmd_stats;
	cli_pos pos[] = {{CLI_MISSING_DB, NULL}};
	const char *val;
	bool json = false;
	cli_args a;
	int id, rc;

	cli_args_init(&a, cmd, opts, pos, 1, argc, argv);
	while ((id = cli_args_opt(&a, &val)) > 0) {
		if (id == 1)
			json = true;
	}
	if (id == CLI_ARG_STOP)
		return a.exit;
	const char *path = pos[0].val;

	cli_db db;
	if ((rc = cli_db_open(&db, cmd, path)) != 0)
		return rc;

	stats s = {.db = &db};
	hs_buf rec = HS_BUF_INIT, out = HS_BUF_INIT;
	hsi_record r;
	uint64_t first = 0, last = hsi_log_last_gseq(db.log), format = 0;
	int64_t first_ns = 0, last_ns = 0, created_ns = 0;
	bool have_created = false;
	char err[700];

	rc = hsi_log_scan_events(db.log, 1, UINT64_MAX, false, first_gseq_fn,
				 &first);
	if (rc < 0)
		goto log_error;
	if (first != 0) {
		if ((rc = cli_read_record(&db, first, &rec, &r)) != 0)
			goto out;
		first_ns = r.time_ns;
		if ((rc = cli_read_record(&db, last, &rec, &r)) != 0)
			goto out;
		last_ns = r.time_ns;
	}
	cli_progress_start(&s.progress, "snapshots counted", 0);
	rc = hsi_log_scan_agents(db.log, on_agent, &s);
	cli_progress_end(&s.progress);
	if (rc == HS_ENOMEM) {
		cli_error(cmd, "out of memory");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (rc != 0)
		goto log_error;
	{
		hs_buf m = HS_BUF_INIT;
		char digits[32];

		if (hsi_log_get_meta(db.log, "format", &m) == 0 &&
		    m.len < sizeof(digits)) {
			memcpy(digits, m.data, m.len);
			digits[m.len] = '\0';
			cli_parse_u64(digits, &format);
		}
		hs_buf_reset(&m);
		if (hsi_log_get_meta(db.log, "created_ns", &m) == 0 &&
		    m.len < sizeof(digits)) {
			memcpy(digits, m.data, m.len);
			digits[m.len] = '\0';
			have_created =
				cli_parse_time(digits, &created_ns, NULL) == 0;
		}
		hs_buf_free(&m);
	}

	uint64_t events = first ? last - first + 1 : 0;
	uint64_t size = dir_bytes(path);
	hs_buf_reset(&out);
	if (json) {
		cli_put(&out, "{\"path\":");
		cli_put_json_str(&out, path, strlen(path));
		cli_putf(&out,
			 ",\"format\":%" PRIu64 ",\"events\":%" PRIu64
			 ",\"agents\":%" PRIu64 ",\"types\":%zu"
			 ",\"snapshots\":%" PRIu64 ",\"first_gseq\":%" PRIu64
			 ",\"last_gseq\":%" PRIu64 ",\"base_gseq\":%" PRIu64,
			 format, events, s.tally.agents, s.tally.ntypes,
			 s.snapshots, first, last, hsi_log_base_gseq(db.log));
		put_time_field(&out, "first_time", first != 0, first_ns);
		put_time_field(&out, "last_time", first != 0, last_ns);
		put_time_field(&out, "created", have_created, created_ns);
		cli_putf(&out, ",\"size_bytes\":%" PRIu64 ",\"by_type\":[",
			 size);
		for (size_t i = 0; i < s.tally.ntypes; i++) {
			cli_put(&out, i ? ",{\"type\":" : "{\"type\":");
			cli_put_json_str(&out, s.tally.types[i].name,
					 strlen(s.tally.types[i].name));
			cli_putf(&out,
				 ",\"agents\":%" PRIu64
				 ",\"transitions\":%" PRIu64 "}",
				 s.tally.types[i].agents,
				 s.tally.types[i].transitions);
		}
		cli_put(&out, "]}\n");
	} else {
		char t1[CLI_TIME_MAX], t2[CLI_TIME_MAX], sz[64];

		cli_putf(&out, "log        %s\n", path);
		cli_putf(&out, "format     %" PRIu64, format);
		if (have_created) {
			cli_format_time(created_ns, t1, sizeof(t1));
			cli_putf(&out, " (created %s)", t1);
		}
		cli_putf(&out, "\nevents     %" PRIu64, events);
		if (first != 0) {
			cli_format_time(first_ns, t1, sizeof(t1));
			cli_format_time(last_ns, t2, sizeof(t2));
			cli_putf(&out,
				 " (gseq %" PRIu64 " to %" PRIu64
				 ")\ntime       %s to %s",
				 first, last, t1, t2);
		}
		if (hsi_log_base_gseq(db.log) != 0)
			cli_putf(&out,
				 "\ncut        after gseq %" PRIu64
				 " (gseqs 1 to %" PRIu64 " archived)",
				 hsi_log_base_gseq(db.log),
				 hsi_log_base_gseq(db.log));
		cli_putf(&out, "\nagents     %" PRIu64 "\ntypes      %zu",
			 s.tally.agents, s.tally.ntypes);
		for (size_t i = 0; i < s.tally.ntypes; i++) {
			cli_put(&out, i ? ", " : ": ");
			cli_put_name(&out, s.tally.types[i].name,
				     strlen(s.tally.types[i].name));
			cli_putf(&out,
				 " (%" PRIu64 " agent%s, %" PRIu64
				 " transition%s)",
				 s.tally.types[i].agents,
				 s.tally.types[i].agents == 1 ? "" : "s",
				 s.tally.types[i].transitions,
				 s.tally.types[i].transitions == 1 ? "" : "s");
		}
		human_bytes(size, sz, sizeof(sz));
		cli_putf(&out, "\nsnapshots  %" PRIu64 "\nsize       %s\n",
			 s.snapshots, sz);
	}
	rc = cli_flush(&out) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	goto out;

log_error:
	hsi_log_error(db.log, err, sizeof(err));
	cli_error(cmd, "%s", err);
	rc = CLI_EXIT_USAGE;
out:
	cli_tally_free(&s.tally);
	hs_buf_free(&s.scratch);
	hs_buf_free(&rec);
	hs_buf_free(&out);
	cli_db_close(&db);
	return rc;
}
