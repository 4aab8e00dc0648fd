/*
 * Reading the demo's definitions, shipment.json and order.json, into a
 * set (for the program and for its types plugin).
 */
#include "orders.h"

#include <stdio.h>
#include <stdlib.h>

/* Loads DIR/NAME.json into the set. */
static int load(hs_machines *m, const char *dir, const char *name,
		bool verbose)
{
	char path[1024], err[512];
	snprintf(path, sizeof path, "%s/%s.json", dir, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	char *text = NULL;
	size_t len = 0, cap = 0, got;
	do {
		if (len == cap) {
			char *n = realloc(text, cap = cap ? cap * 2 : 4096);
			if (n == NULL)
				break;
			text = n;
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	fclose(f);
	hs_machine_def *d = NULL;
	int rc = text ? hs_machine_load_json(m, text, len, &d, err, sizeof err)
		      : HS_ENOMEM;
	free(text);
	if (rc == 0)
		rc = hs_machine_add(m, d);
	if (rc != 0) {
		fprintf(stderr, "hs-orders: %s: %s\n", path,
			err[0] ? err : hs_strerror(rc));
		hs_machine_def_free(d);
		return -1;
	}
	if (verbose)
		printf("loaded %s: machine %s version %u\n", path,
		       hs_machine_def_id(d),
		       (unsigned)hs_machine_def_version(d));
	return 0;
}

int orders_load(hs_machines *m, const char *dir, bool verbose)
{
	if (load(m, dir, "shipment", verbose) != 0 ||
	    load(m, dir, "order", verbose) != 0)
		return -1;
	return 0;
}
