/*
 * Recycling message blocks (HSI_MSG_BLOCK bytes, agent/agent.h) between
 * the threads that build messages and the workers that consume them, in
 * place of a malloc and a free per message: a free on one thread of what
 * another allocated is glibc's slow path (W1's sender and worker spent a
 * quarter of their time in it).
 *
 * A worker keeps the blocks it consumes in a private list (hsi_blocks),
 * builds its handlers' messages in them, and hands a full list over to
 * the runtime's shared stack; a sender with a private list (an hs_ref)
 * takes the whole stack at once when its list is empty. The shared stack
 * is only pushed to (a CAS of whole lists) and emptied (one exchange), so
 * no ABA: a pop of single nodes by several threads never happens. Blocks
 * are ordinary malloc'd memory: free() is always right for them.
 */
#ifndef HS_CORE_MSGPOOL_H
#define HS_CORE_MSGPOOL_H

#include <stdatomic.h>

#include "agent/agent.h"

/* The runtime's shared stack of blocks, linked through their node. */
typedef struct hsi_msgpool {
	_Atomic(hsi_node *) stack;
	atomic_size_t count; /* approximate: bounds the stack */
} hsi_msgpool;

/* A private list of blocks; one thread at a time. Zero = empty. */
typedef struct hsi_blocks {
	hsi_node *head, *tail;
	size_t n;
} hsi_blocks;

/* A block from b, refilled from the pool when empty; NULL when there is
 * none (the caller mallocs). */
void *hsi_blocks_get(hsi_msgpool *pool, hsi_blocks *b);

/* A node a mailbox no longer needs (hsi_mailbox_pop_spent): a pooled
 * message's block goes to b (and b, once long, to the pool, or to free()
 * when the pool holds enough), anything else to free(). */
void hsi_blocks_put(hsi_msgpool *pool, hsi_blocks *b, hsi_node *n);

/* Gives back a block from hsi_blocks_get that was not used. */
void hsi_blocks_unget(hsi_msgpool *pool, hsi_blocks *b, void *block);

/* Frees b's blocks. */
void hsi_blocks_free(hsi_blocks *b);

/* Frees the pool's blocks; no other thread may use it. */
void hsi_msgpool_destroy(hsi_msgpool *pool);

#endif
