#include "codec/mpread.h"

#include <string.h>

int hs_get(const void *mp, size_t len, const char *path, hs_value *out)
{
	const uint8_t *p = mp, *end;
	int rc;

	if (path == NULL || out == NULL)
		return HS_EINVAL;
	if (mp == NULL || len == 0)
		return HS_EBADMSG;
	end = p + len;
	/* Each '.'-separated key, an empty one too, leads one map deeper;
	 * the empty path names the whole value. */
	for (bool more = *path != '\0'; more;) {
		size_t n = 0;

		while (path[n] != '\0' && path[n] != '.')
			n++;
		rc = hsi_mp_find(p, end, path, n, &p);
		if (rc != 0)
			return rc;
		more = path[n] == '.';
		path += n + 1;
	}
	return hsi_mp_read(p, end, out, NULL);
}

int hs_get_i64(const void *mp, size_t len, const char *path, int64_t *out)
{
	hs_value v;
	int rc = hs_get(mp, len, path, &v);

	if (rc != 0)
		return rc;
	if (v.kind == HS_UINT)
		return HS_ERANGE;
	if (v.kind != HS_INT)
		return HS_ETYPE;
	*out = v.as.i;
	return 0;
}

int hs_get_f64(const void *mp, size_t len, const char *path, double *out)
{
	hs_value v;
	int rc = hs_get(mp, len, path, &v);

	if (rc != 0)
		return rc;
	switch (v.kind) {
	case HS_FLOAT:
		*out = v.as.f;
		return 0;
	case HS_INT:
		*out = (double)v.as.i;
		return 0;
	case HS_UINT:
		*out = (double)v.as.u;
		return 0;
	default:
		return HS_ETYPE;
	}
}

int hs_get_bool(const void *mp, size_t len, const char *path, bool *out)
{
	hs_value v;
	int rc = hs_get(mp, len, path, &v);

	if (rc != 0)
		return rc;
	if (v.kind != HS_BOOL)
		return HS_ETYPE;
	*out = v.as.b;
	return 0;
}

int hs_get_str(const void *mp, size_t len, const char *path,
	       const char **str, size_t *str_len)
{
	hs_value v;
	int rc = hs_get(mp, len, path, &v);

	if (rc != 0)
		return rc;
	if (v.kind != HS_STR)
		return HS_ETYPE;
	*str = v.as.str;
	*str_len = v.len;
	return 0;
}

int hs_get_strcpy(const void *mp, size_t len, const char *path, char *dst,
		  size_t cap)
{
	const char *s;
	size_t n;
	int rc = hs_get_str(mp, len, path, &s, &n);

	if (rc != 0)
		return rc;
	if (n >= cap)
		return HS_ERANGE;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}
