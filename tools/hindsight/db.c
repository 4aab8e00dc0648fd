/* Opening a log and its types plugin, read-only (db.h). */
#include "db.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
			  err, HS_VERSION_TEXT, HSI_LOG_FORMAT_CUT);
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

static int load_plugin(cli_db *db, const char *path, bool trust)
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
	/* Loading runs the file's code as this user: a file that others
	 * can rewrite would run theirs. */
	if (!trust && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		cli_error(db->cmd,
			  "refusing to load types plugin %s: it is writable "
			  "by %s (mode %04o), and loading a plugin runs its "
			  "code; make it writable only by its owner (chmod "
			  "go-w %s) or pass --trust-types",
			  path,
			  (st.st_mode & S_IWGRP) == 0   ? "others"
			  : (st.st_mode & S_IWOTH) == 0 ? "its group"
							: "its group and others",
			  (unsigned)(st.st_mode & 07777), path);
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

int cli_db_runtime(cli_db *db, const char *types, bool trust_types)
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
	return types != NULL ? load_plugin(db, types, trust_types) : 0;
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
	else if (rc == HS_EARCHIVED)
		cli_error(db->cmd, "%s (`hindsight archive` wrote what it "
				   "dropped to an archive file: import it into "
				   "a new log to query that part)",
			  text);
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
