#include "common/buf.h"

#include <stdlib.h>
#include <string.h>

void hs_buf_free(hs_buf *buf)
{
	if (buf == NULL)
		return;
	free(buf->data);
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
}

void hs_buf_reset(hs_buf *buf)
{
	buf->len = 0;
}

int hsi_buf_reserve(hs_buf *buf, size_t extra)
{
	if (extra <= buf->cap - buf->len)
		return 0;
	if (extra > SIZE_MAX / 2 - buf->len)
		return HS_ENOMEM;
	size_t cap = buf->cap ? buf->cap : 64;
	while (cap - buf->len < extra)
		cap *= 2;
	uint8_t *data = realloc(buf->data, cap);
	if (data == NULL)
		return HS_ENOMEM;
	buf->data = data;
	buf->cap = cap;
	return 0;
}

int hsi_buf_append(hs_buf *buf, const void *data, size_t n)
{
	int rc = hsi_buf_reserve(buf, n);
	if (rc != 0)
		return rc;
	if (n != 0)
		memcpy(buf->data + buf->len, data, n);
	buf->len += n;
	return 0;
}
