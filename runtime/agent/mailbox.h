#ifndef HS_AGENT_MAILBOX_H
#define HS_AGENT_MAILBOX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* The link every queued message starts with. */
typedef struct hsi_node {
	_Atomic(struct hsi_node *) next;
} hsi_node;

/*
 * An intrusive multi-producer single-consumer queue (after Pony's
 * actor/messageq.c). `head` is the node pushed last; its low bit set means
 * "empty and not scheduled", so the one producer whose push finds it set is
 * the one that schedules the agent. The consumer owns `tail`, whose node has
 * already been handled; nodes are malloc'd and freed by the queue.
 */
typedef struct hsi_mailbox {
	_Atomic(uintptr_t) head;
	hsi_node *tail;
	hsi_node stub;
} hsi_mailbox;

/* Starts empty and unscheduled. */
void hsi_mailbox_init(hsi_mailbox *mb);

/* Any thread. Takes ownership of `n`. Returns true when the queue was
 * empty and unscheduled: the caller must now schedule the agent. */
bool hsi_mailbox_push(hsi_mailbox *mb, hsi_node *n);

/* Consumer only. Returns the next node, or NULL when none is linked yet.
 * The node stays owned by the queue and valid until the next pop or
 * hsi_mailbox_try_idle(). */
hsi_node *hsi_mailbox_pop(hsi_mailbox *mb);

/* Consumer only. Marks the queue empty and unscheduled if no node is
 * pending; returns false if one is (or is being linked). After true the
 * caller is no longer the consumer. */
bool hsi_mailbox_try_idle(hsi_mailbox *mb);

/* hsi_mailbox_pop and hsi_mailbox_try_idle that hand the node the queue
 * no longer needs (the one handled before) to the caller in *spent
 * instead of freeing it; NULL when there is none. */
hsi_node *hsi_mailbox_pop_spent(hsi_mailbox *mb, hsi_node **spent);
bool hsi_mailbox_try_idle_spent(hsi_mailbox *mb, hsi_node **spent);

/* True if no node is linked after the consumer's position. Consumer only. */
bool hsi_mailbox_drained(const hsi_mailbox *mb);

/* Frees the handled tail node. Only with no producer left and the caller
 * being the consumer; pending nodes must have been popped first. */
void hsi_mailbox_destroy(hsi_mailbox *mb);

#endif
