/*
 * stock_plugin_check: loads a types plugin the way the `hindsight`
 * command's --types option does (dlopen, HS_PLUGIN_SYMBOL), registers its
 * types on a read-only runtime over a log, and replays the whole log.
 * Used by test.sh on libhs_stock_types.so and hs-stock's log.
 *
 * usage: stock_plugin_check PLUGIN.so LOGDIR
 * prints "plugin verified: N records, D divergences"; exits 0 when it
 * could replay the log (whatever D is), 1 otherwise.
 */
#include <hindsight.h>

#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	hs_verify_report rep = {0};
	hs_plugin_fn reg;
	hs_options o;
	hs_runtime *rt;
	char err[512];
	void *h;
	int rc;

	if (argc != 3) {
		fprintf(stderr,
			"usage: stock_plugin_check PLUGIN.so LOGDIR\n");
		return 2;
	}
	if ((h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "stock_plugin_check: %s\n", dlerror());
		return 1;
	}
	/* POSIX's way to turn the object pointer into a function pointer. */
	*(void **)&reg = dlsym(h, HS_PLUGIN_SYMBOL);
	if (reg == NULL) {
		fprintf(stderr, "stock_plugin_check: %s: no %s\n", argv[1],
			HS_PLUGIN_SYMBOL);
		dlclose(h);
		return 1;
	}
	hs_options_init(&o);
	o.path = argv[2];
	o.read_only = true;
	if ((rc = hs_open_err(&rt, &o, err, sizeof(err))) != 0) {
		fprintf(stderr, "stock_plugin_check: %s: %s\n", argv[2], err);
		dlclose(h);
		return 1;
	}
	if ((rc = reg(rt)) == 0)
		rc = hs_verify(rt, NULL, NULL, NULL, &rep);
	if (rc != 0) {
		hs_last_error(rt, err, sizeof(err));
		fprintf(stderr, "stock_plugin_check: %s %s\n", hs_strerror(rc),
			err);
	} else {
		printf("plugin verified: %" PRIu64 " records, %" PRIu64
		       " divergences\n",
		       rep.records, rep.divergences);
	}
	hs_close(rt);
	dlclose(h);
	return rc == 0 ? 0 : 1;
}
