/*
 * A damaged write-ahead log must not lose durable transitions silently
 * (issue 19): a child writes under HS_DURABILITY_SYNC and is killed with
 * its tail only in the WAL, the parent cuts the WAL in the middle, and
 * every open (writable, read-only) refuses the log with HS_ECORRUPT
 * naming the gseqs lost, changing nothing, until HS_RECOVERY_TRUNCATE is
 * asked for. Also: the mark a clean close leaves, a WAL damaged before
 * its end, and a damaged mark file.
 */
#include "util.h"

#include "persist_util.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#include "common/hash.h"
#include "log/mark.h"

#define CHILD_WRITES 40

/* The child: CHILD_WRITES transitions of counter/k, each acknowledged,
 * then "written" on fd, then it waits to be killed. */
static int child(const char *dir, int fd, hs_durability d)
{
	hs_options o;
	hs_options_init(&o);
	o.path = dir;
	o.workers = 1;
	o.durability = d;
	hs_runtime *rt;
	if (hs_open(&rt, &o) != 0)
		return 10;
	hs_type t = hsu_counter_type("counter", HS_ON_ERROR_FAIL);
	if (hs_register(rt, &t) != 0)
		return 11;
	for (int i = 0; i < CHILD_WRITES; i++)
		if (hs_send_wait(rt, "counter", "k", "inc", NULL, 0, NULL) !=
		    0)
			return 12;
	if (write(fd, "written\n", 8) != 8)
		return 13;
	for (;;)
		pause();
}

/* Runs the child on dir and kills it once it has written. */
static void write_and_kill(const char *dir, const char *flag)
{
	int rfd;
	pid_t pid = pu_spawn_self("test_wal_loss", flag, dir, &rfd);
	char line[16] = "";
	assert_true(read(rfd, line, sizeof line - 1) > 0);
	close(rfd);
	assert_string_equal(line, "written\n");
	kill(pid, SIGKILL);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
}

/* The newest WAL file of dir (malloc'd); with no_sst, asserts there is
 * no table file (everything must be in the WAL only). */
static char *newest_wal(const char *dir, bool no_sst)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	char best[256] = "";
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		assert_false(no_sst && n > 4 &&
			     strcmp(e->d_name + n - 4, ".sst") == 0);
		if (n > 4 && strcmp(e->d_name + n - 4, ".log") == 0 &&
		    strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof best, "%s", e->d_name);
	}
	closedir(d);
	assert_true(best[0] != '\0');
	return pu_join(dir, best);
}

static off_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* A digest of every file of dir, names and contents. */
static uint64_t dir_digest(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	uint64_t sum = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *p = pu_join(dir, e->d_name);
		size_t len;
		char *data = pu_read_file(p, &len);
		uint64_t h =
			hsi_fnv1a(HSI_FNV_SEED, e->d_name, strlen(e->d_name));
		h ^= hsi_fnv1a(HSI_FNV_SEED, data, len) * 31;
		sum += h; /* order-free */
		free(data);
		free(p);
	}
	closedir(d);
	return sum;
}

static int open_with(const char *dir, bool read_only, hs_recovery rec,
		     hs_runtime **rt, char *err, size_t cap)
{
	hs_options o;
	hs_options_init(&o);
	o.path = dir;
	o.workers = 1;
	o.read_only = read_only;
	o.recovery = rec;
	return hs_open_err(rt, &o, err, cap);
}

static uint64_t last_gseq(const char *dir)
{
	hsi_log *log;
	char err[512];
	int rc = hsi_log_open(dir, HSI_LOG_READONLY, &log, err, sizeof err);
	if (rc != 0)
		print_error("%s\n", err);
	assert_hs(0, rc);
	uint64_t g = hsi_log_last_gseq(log);
	hsi_log_close(log);
	return g;
}

static void test_truncated_wal_reported(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("wal-loss");
	write_and_kill(dir, "--child-sync");
	char *wal = newest_wal(dir, true);
	assert_int_equal(truncate(wal, file_size(wal) / 2 + 3), 0);
	uint64_t before = dir_digest(dir);

	/* Both opens refuse it, naming the gseqs lost, and change nothing. */
	char want[64];
	snprintf(want, sizeof want, "to %d were made durable", CHILD_WRITES);
	for (int ro = 0; ro < 2; ro++) {
		hs_runtime *rt = NULL;
		char err[1024] = "";
		int rc = open_with(dir, ro, HS_RECOVERY_STRICT, &rt, err,
				   sizeof err);
		if (rc != HS_ECORRUPT)
			print_error("open (read_only %d): %s: %s\n", ro,
				    hs_strerror(rc), err);
		assert_int_equal(rc, HS_ECORRUPT);
		assert_null(rt);
		assert_non_null(strstr(err, "transitions are lost: gseq "));
		assert_non_null(strstr(err, want));
		assert_true(dir_digest(dir) == before);
	}
	hsi_log *log;
	char err[1024];
	assert_hs(HS_ECORRUPT,
		  hsi_log_open(dir, HSI_LOG_READONLY, &log, err, sizeof err));
	assert_true(dir_digest(dir) == before);

	/* Asked for: the log opens without them and goes on from there. */
	hs_runtime *rt = NULL;
	assert_hs(0, open_with(dir, false, HS_RECOVERY_TRUNCATE, &rt, err,
			       sizeof err));
	hsu_register_counter(rt, "counter", HS_ON_ERROR_FAIL);
	int64_t kept = hsu_counter_value(rt, "counter", "k");
	assert_true(kept < CHILD_WRITES);
	assert_hs(0, hs_send_wait(rt, "counter", "k", "inc", NULL, 0, NULL));
	assert_hs(0, hs_close(rt));
	assert_int_equal(last_gseq(dir), (uint64_t)kept + 1);
	rt = NULL;
	assert_hs(0, open_with(dir, false, HS_RECOVERY_STRICT, &rt, err,
			       sizeof err));
	assert_hs(0, hs_close(rt));
	free(wal);
	free(dir);
}

/* A clean close leaves the mark, under NONE too. A writer killed under
 * NONE promised nothing past the crash: losing its WAL is no loss of
 * durable transitions, and the log opens. */
static void test_mark_after_close(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("wal-loss");
	hs_runtime *rt = pu_open_rt(dir, HS_DURABILITY_NONE, 1, NULL, NULL);
	hsu_register_counter(rt, "counter", HS_ON_ERROR_FAIL);
	for (int i = 0; i < 5; i++)
		assert_hs(0, hs_send_wait(rt, "counter", "a", "inc", NULL, 0,
					  NULL));
	assert_hs(0, hs_close(rt));
	uint64_t mark;
	char why[256];
	assert_hs(0, hsi_mark_read(dir, &mark, why, sizeof why));
	assert_int_equal(mark, 5);

	write_and_kill(dir, "--child-none");
	assert_int_equal(last_gseq(dir), 5 + CHILD_WRITES);
	char *wal = newest_wal(dir, false);
	assert_int_equal(truncate(wal, 0), 0);
	assert_int_equal(last_gseq(dir), 5);
	hs_runtime *rt2 = NULL;
	char err[512];
	assert_hs(0, open_with(dir, false, HS_RECOVERY_STRICT, &rt2, err,
			       sizeof err));
	assert_hs(0, hs_close(rt2));
	free(wal);
	free(dir);
}

/* Damage before the WAL's end fails the open (RocksDB's point-in-time
 * recovery would drop everything after it); TRUNCATE accepts it. */
static void test_damaged_wal_middle(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("wal-loss");
	write_and_kill(dir, "--child-none");
	char *wal = newest_wal(dir, true);
	size_t len;
	char *data = pu_read_file(wal, &len);
	data[len / 3] ^= 0x5a;
	pu_write_file(wal, data, len);
	free(data);
	uint64_t before = dir_digest(dir);
	const char *err = pu_open_fails(dir, HS_ECORRUPT);
	assert_non_null(strstr(err, dir));
	assert_true(dir_digest(dir) == before);
	hs_runtime *rt = NULL;
	char text[1024];
	assert_hs(HS_ECORRUPT, open_with(dir, true, HS_RECOVERY_STRICT, &rt,
					 text, sizeof text));
	assert_hs(0, open_with(dir, true, HS_RECOVERY_TRUNCATE, &rt, text,
			       sizeof text));
	assert_hs(0, hs_close(rt));
	assert_true(dir_digest(dir) == before);
	free(wal);
	free(dir);
}

static void test_damaged_mark(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("wal-loss");
	hs_runtime *rt = pu_open_rt(dir, HS_DURABILITY_SYNC, 1, NULL, NULL);
	hsu_register_counter(rt, "counter", HS_ON_ERROR_FAIL);
	assert_hs(0, hs_send_wait(rt, "counter", "a", "inc", NULL, 0, NULL));
	assert_hs(0, hs_close(rt));
	char *mark = pu_join(dir, HSI_MARK_FILE);
	pu_write_file(mark, "HSMARK01xxxxxxxxyyyyyyyy", 24);
	const char *err = pu_open_fails(dir, HS_ECORRUPT);
	assert_non_null(strstr(err, HSI_MARK_FILE " is damaged"));
	char text[1024];
	rt = NULL;
	assert_hs(0, open_with(dir, false, HS_RECOVERY_TRUNCATE, &rt, text,
			       sizeof text));
	assert_hs(0, hs_close(rt));
	rt = pu_open_rt(dir, HS_DURABILITY_SYNC, 1, NULL, NULL);
	assert_hs(0, hs_close(rt));
	free(mark);
	free(dir);
}

static void test_recovery_option_checked(void **state)
{
	(void)state;
	hs_runtime *rt = NULL;
	char err[64];
	assert_hs(HS_EINVAL, open_with("/nonexistent", false, (hs_recovery)7,
				       &rt, err, sizeof err));
	assert_null(rt);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--child-sync") == 0)
		return child(argv[2], atoi(argv[3]), HS_DURABILITY_SYNC);
	if (argc == 4 && strcmp(argv[1], "--child-none") == 0)
		return child(argv[2], atoi(argv[3]), HS_DURABILITY_NONE);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_truncated_wal_reported,
					  pu_cleanup_dirs),
		cmocka_unit_test_teardown(test_mark_after_close,
					  pu_cleanup_dirs),
		cmocka_unit_test_teardown(test_damaged_wal_middle,
					  pu_cleanup_dirs),
		cmocka_unit_test_teardown(test_damaged_mark, pu_cleanup_dirs),
		cmocka_unit_test(test_recovery_option_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
