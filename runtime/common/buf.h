#ifndef HS_COMMON_BUF_H
#define HS_COMMON_BUF_H

#include "hindsight.h"

/* Makes room for `extra` more bytes. Returns 0 or HS_ENOMEM (buf intact). */
int hsi_buf_reserve(hs_buf *buf, size_t extra);

/* Appends n bytes. Returns 0 or HS_ENOMEM (buf intact). */
int hsi_buf_append(hs_buf *buf, const void *data, size_t n);

#endif
