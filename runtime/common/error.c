#include "hindsight.h"

const char *hs_strerror(int err)
{
	switch (err) {
	case HS_OK:
		return "success";
#define HS_ERRNO_CASE(name, code, text)                                       \
	case HS_##name:                                                       \
		return "HS_" #name ": " text;
		HS_ERRNO_MAP(HS_ERRNO_CASE)
#undef HS_ERRNO_CASE
	}
	return "unknown error";
}
