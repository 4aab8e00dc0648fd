#include "core/msgpool.h"

#include <stdlib.h>

/* A private list longer than this goes to the pool. */
#define LOCAL_MAX 64
/* The pool keeps about this many blocks (~420 KB); beyond, frees. */
#define POOL_MAX 4096

static void link_to(hsi_node *n, hsi_node *next)
{
	/* Relaxed: the list is private until published by the CAS below
	 * (release) or was taken by the exchange (acquire). */
	atomic_store_explicit(&n->next, next, memory_order_relaxed);
}

static hsi_node *next_of(hsi_node *n)
{
	return atomic_load_explicit(&n->next, memory_order_relaxed);
}

void *hsi_blocks_get(hsi_msgpool *pool, hsi_blocks *b)
{
	if (b->head == NULL) {
		/* Relaxed: a hint, to skip the exchange on an empty pool. */
		if (atomic_load_explicit(&pool->stack, memory_order_relaxed) ==
		    NULL)
			return NULL;
		/* Acquire pairs with the release CAS in give(): the links of
		 * the lists pushed are visible. */
		hsi_node *all = atomic_exchange_explicit(&pool->stack, NULL,
							 memory_order_acquire);
		if (all == NULL)
			return NULL;
		size_t n = 0;
		hsi_node *tail = all;
		for (hsi_node *x = all; x != NULL; x = next_of(x)) {
			tail = x;
			n++;
		}
		/* Relaxed: only bounds the pool, give() may be off by some. */
		atomic_fetch_sub_explicit(&pool->count, n,
					  memory_order_relaxed);
		b->head = all;
		b->tail = tail;
		b->n = n;
	}
	hsi_node *x = b->head;
	b->head = next_of(x);
	if (b->head == NULL)
		b->tail = NULL;
	b->n--;
	return x;
}

/* Moves b's list to the pool, or frees it when the pool is full. */
static void give(hsi_msgpool *pool, hsi_blocks *b)
{
	if (atomic_load_explicit(&pool->count, memory_order_relaxed) >=
	    POOL_MAX) {
		hsi_blocks_free(b);
		return;
	}
	atomic_fetch_add_explicit(&pool->count, b->n, memory_order_relaxed);
	hsi_node *old = atomic_load_explicit(&pool->stack,
					     memory_order_relaxed);
	do
		link_to(b->tail, old);
	/* Release pairs with the acquire exchange in hsi_blocks_get. A
	 * push only needs `old` to be the head now, whatever happened to
	 * it meanwhile: no ABA. */
	while (!atomic_compare_exchange_weak_explicit(&pool->stack, &old,
						      b->head,
						      memory_order_release,
						      memory_order_relaxed));
	b->head = b->tail = NULL;
	b->n = 0;
}

void hsi_blocks_put(hsi_msgpool *pool, hsi_blocks *b, hsi_node *n)
{
	if (!((hsi_msg *)n)->pooled) {
		free(n);
		return;
	}
	hsi_blocks_unget(pool, b, n);
}

void hsi_blocks_unget(hsi_msgpool *pool, hsi_blocks *b, void *block)
{
	hsi_node *n = block;
	link_to(n, b->head);
	b->head = n;
	if (b->tail == NULL)
		b->tail = n;
	if (++b->n > LOCAL_MAX)
		give(pool, b);
}

void hsi_blocks_free(hsi_blocks *b)
{
	hsi_node *x = b->head;
	while (x != NULL) {
		hsi_node *next = next_of(x);
		free(x);
		x = next;
	}
	b->head = b->tail = NULL;
	b->n = 0;
}

void hsi_msgpool_destroy(hsi_msgpool *pool)
{
	hsi_blocks b = {atomic_load_explicit(&pool->stack,
					     memory_order_relaxed),
			NULL, 0};
	hsi_blocks_free(&b);
	atomic_store_explicit(&pool->stack, NULL, memory_order_relaxed);
}
