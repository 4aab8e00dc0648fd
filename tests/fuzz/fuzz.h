#ifndef HS_TESTS_FUZZ_FUZZ_H
#define HS_TESTS_FUZZ_FUZZ_H

/* What the harnesses share: a check that stops the run with a message, as
 * a crash that libFuzzer reports and saves. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n",         \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* HS_TESTS_FUZZ_FUZZ_H */
