/* Questions and answers between agents and the outside. */
#ifndef HS_CORE_ASK_H
#define HS_CORE_ASK_H

#include "core/effect.h"

/* When the handler of an agent's question (tail HSI_TAIL_ASK) fails: the
 * answer {"ask": ID, "error": rc} for the asker, caused by the question's
 * cause, or NULL (not a question, or out of memory: the asker's timeout
 * tells then). */
hsi_effect *hsi_ask_error_answer(hs_runtime *rt, const hsi_msg *m, int rc);

#endif
