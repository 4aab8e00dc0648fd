/*
 * File-system helpers for tests that use real directories: a fresh
 * temporary directory per test, removed with everything in it afterwards.
 */
#ifndef HS_TESTS_UTIL_FS_H
#define HS_TESTS_UTIL_FS_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__GNUC__)
#define HSU_FS_UNUSED __attribute__((unused))
#else
#define HSU_FS_UNUSED
#endif

/* Makes a new directory $TMPDIR/hs-<tag>-XXXXXX (TMPDIR defaults to /tmp)
 * and writes its path to dir[cap]. Returns 0 or -1. */
static HSU_FS_UNUSED int hsu_mkdtemp(char *dir, size_t cap, const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	n = snprintf(dir, cap, "%s/hs-%s-XXXXXX", tmp, tag);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

/* Removes path and, for a directory, everything below it (symbolic links
 * are removed, not followed). Returns 0, or -1 if something stayed. */
static HSU_FS_UNUSED int hsu_rm_rf(const char *path)
{
	struct stat st;
	int rc = 0;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;

		if (d == NULL)
			return -1;
		while ((e = readdir(d)) != NULL) {
			size_t n;
			char *sub;

			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			n = strlen(path) + strlen(e->d_name) + 2;
			sub = malloc(n);
			if (sub == NULL) {
				rc = -1;
				break;
			}
			snprintf(sub, n, "%s/%s", path, e->d_name);
			if (hsu_rm_rf(sub) != 0)
				rc = -1;
			free(sub);
		}
		closedir(d);
		if (rmdir(path) != 0)
			rc = -1;
	} else if (unlink(path) != 0) {
		rc = -1;
	}
	return rc;
}

#endif /* HS_TESTS_UTIL_FS_H */
