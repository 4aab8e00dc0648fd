#ifndef HS_CODEC_PACK_H
#define HS_CODEC_PACK_H

#include <msgpack.h>

#include "hindsight.h"

/* Makes pk append to buf. Every msgpack_pack_* call on pk then returns 0 or
 * HS_ENOMEM; on HS_ENOMEM buf holds what was packed before that call, so
 * the caller restores buf->len to where its value began. */
void hsi_packer_init(msgpack_packer *pk, hs_buf *buf);

#endif /* HS_CODEC_PACK_H */
