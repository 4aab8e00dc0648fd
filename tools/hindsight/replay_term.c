/* hindsight replay on a terminal: one step at a time, read from keys.
 * Plain ANSI escapes and termios. */
#include "replay.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "common/buf.h"

/* ------------------------------------------------------------------ */
/* The terminal                                                         */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t resized, quit_signal;

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

static void on_quit(int sig)
{
	(void)sig;
	quit_signal = 1;
}

typedef struct screen {
	struct termios saved;
	bool raw;
	unsigned rows, cols;
	hs_buf buf;
	hs_buf line;
	char prompt;      /* 'g', 't' or 0 */
	char input[64];
	size_t input_len;
	char message[300];
} screen;

static void term_size(screen *sc)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0) {
		sc->rows = ws.ws_row;
		sc->cols = ws.ws_col;
	} else {
		sc->rows = 24;
		sc->cols = 80;
	}
}

static int term_raw(screen *sc)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &sc->saved) != 0)
		return -1;
	t = sc->saved;
	/* No echo, no line editing, no signals from keys (Ctrl-C is read
	 * as a key and quits), bytes as they come. */
	t.c_lflag &= ~(tcflag_t)(ECHO | ICANON | ISIG | IEXTEN);
	t.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) != 0)
		return -1;
	sc->raw = true;
	/* The alternate screen, cursor hidden. */
	fputs("\033[?1049h\033[?25l", stdout);
	fflush(stdout);
	return 0;
}

static void term_restore(screen *sc)
{
	if (!sc->raw)
		return;
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &sc->saved);
	sc->raw = false;
}

/* Appends at most `width` columns of s[0..n) (a UTF-8 code point is a
 * column), then spaces up to `width` when pad. */
static void put_cols(hs_buf *b, const char *s, size_t n, size_t width,
		     bool pad)
{
	size_t cols = 0, i = 0;

	while (i < n && cols < width) {
		size_t j = i + 1;

		while (j < n && ((unsigned char)s[j] & 0xc0) == 0x80)
			j++;
		hsi_buf_append(b, s + i, j - i);
		i = j;
		cols++;
	}
	for (; pad && cols < width; cols++)
		hsi_buf_append(b, " ", 1);
}

/* Ends a screen line: clears the rest of it and moves to the next. */
static void eol(hs_buf *b)
{
	cli_put(b, "\033[K\r\n");
}

/* The next line of [*p, end) (without its newline), or NULL. */
static const char *next_line(const char **p, const char *end, size_t *n)
{
	const char *s = *p, *nl;

	if (s == NULL || s >= end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(end - s));
	*n = (size_t)((nl ? nl : end) - s);
	*p = nl ? nl + 1 : end;
	return s;
}

static void draw(screen *sc, stepper *s)
{
	hs_buf *b = &sc->buf, *l = &sc->line;
	size_t cols = sc->cols, rows = sc->rows, used;
	char t[CLI_TIME_MAX];

	hs_buf_reset(b);
	cli_put(b, "\033[H");
	if (cols < 40 || rows < 12) {
		cli_put(b, "terminal too small (40x12 at least); q quits");
		eol(b);
		cli_put(b, "\033[J");
		fwrite(b->data, 1, b->len, stdout);
		fflush(stdout);
		return;
	}

	/* 1: title bar */
	hs_buf_reset(l);
	cli_put(l, " hindsight replay  ");
	cli_put_addr(l, s->ag.type, s->ag.id);
	cli_putf(l, "  step %" PRIu64 " of %" PRIu64 "  ", s->seq, s->n);
	cli_put_name(l, s->db->path, strlen(s->db->path));
	cli_put(b, "\033[7m");
	put_cols(b, (char *)l->data, l->len, cols, true);
	cli_put(b, "\033[0m");
	eol(b);

	/* 2-3: the record */
	const hs_record *r = &s->rec.pub;
	cli_format_time(r->time_ns, t, sizeof(t));
	hs_buf_reset(l);
	cli_putf(l, "seq %" PRIu64 "  gseq %" PRIu64 "  %s", r->seq, r->gseq,
		 t);
	if (r->cause_seq != 0) {
		cli_put(l, "  caused by ");
		cli_put_addr(l, r->cause.type, r->cause.id);
		cli_putf(l, " #%" PRIu64 " (gseq %" PRIu64 ")", r->cause_seq,
			 r->cause_gseq);
	}
	put_cols(b, (char *)l->data, l->len, cols, false);
	eol(b);
	hs_buf_reset(l);
	cli_put(l, "event \033[1m");
	cli_put_name(l, r->event_type, strlen(r->event_type));
	cli_put(l, "\033[0m ");
	if (r->body_len != 0)
		hs_json(l, r->body, r->body_len, 0);
	/* the escapes take no columns */
	put_cols(b, (char *)l->data, l->len, cols + 8, false);
	eol(b);
	used = 3;

	/* The changes, below the states: as many lines as they need, up
	 * to a third of the room. */
	hs_buf changes = HS_BUF_INIT;
	size_t nchanges = 0, room = rows - used - 4; /* 2 headers, 2 keys */
	if (s->error[0] == '\0') {
		cli_put_diff_lines(&changes, &s->diff, "  ");
		hsi_buf_append(&changes, s->effects.data, s->effects.len);
		for (size_t i = 0; i < changes.len; i++)
			nchanges += changes.data[i] == '\n';
	} else {
		cli_putf(&changes, "  %s\n", s->error);
		nchanges = 1;
	}

	/* The states, side by side, then the changes: all of both when
	 * they fit, else the changes get at least a third of the room. */
	size_t w = (cols - 3) / 2;
	hs_buf pb = HS_BUF_INIT, pa = HS_BUF_INIT;
	size_t nb = 0, na = 0;
	if (s->error[0] == '\0') {
		hs_json(&pb, s->before.data, s->before.len, HS_JSON_PRETTY);
		hs_json(&pa, s->after.data, s->after.len, HS_JSON_PRETTY);
		for (size_t i = 0; i < pb.len; i++)
			nb += pb.data[i] == '\n';
		for (size_t i = 0; i < pa.len; i++)
			na += pa.data[i] == '\n';
		nb += pb.len != 0;
		na += pa.len != 0;
	}
	size_t need = nb > na ? nb : na;
	size_t show_changes = nchanges ? nchanges : 1;
	size_t state_rows = need;
	if (state_rows + show_changes > room) {
		/* The states take what they need as long as that leaves
		 * the changes a third of the room; the changes get the
		 * rest. */
		size_t min_changes = room / 3 ? room / 3 : 1;
		size_t states_max = room - min_changes;

		state_rows = need < states_max ? need : states_max;
		if (show_changes > room - state_rows)
			show_changes = room - state_rows;
	}
	hs_buf_reset(l);
	if (s->seq == 1)
		cli_put(l, "-- state before (initial) ");
	else
		cli_putf(l, "-- state before (seq %" PRIu64 ") ", s->seq - 1);
	cli_put(b, "\033[1m");
	put_cols(b, (char *)l->data, l->len, w, true);
	cli_put(b, " | ");
	hs_buf_reset(l);
	cli_putf(l, "-- state after (seq %" PRIu64 ") ", s->seq);
	put_cols(b, (char *)l->data, l->len, w, false);
	cli_put(b, "\033[0m");
	eol(b);
	const char *bp = (const char *)pb.data, *be = bp + pb.len;
	const char *ap = (const char *)pa.data, *ae = ap + pa.len;
	for (size_t i = 0; i < state_rows; i++) {
		size_t bn = 0, an = 0;
		const char *bl = next_line(&bp, be, &bn);
		const char *al = next_line(&ap, ae, &an);

		put_cols(b, bl ? bl : "", bl ? bn : 0, w, true);
		cli_put(b, " | ");
		/* A line of the after state that differs from the line
		 * beside it is shown bold. */
		bool changed = al != NULL &&
			       (bl == NULL || an != bn || memcmp(al, bl, an));
		if (changed)
			cli_put(b, "\033[1;33m");
		put_cols(b, al ? al : "", al ? an : 0, w, false);
		if (changed)
			cli_put(b, "\033[0m");
		eol(b);
	}
	hs_buf_free(&pb);
	hs_buf_free(&pa);

	/* The changes. */
	cli_put(b, "\033[1m");
	put_cols(b, "-- changes", 10, cols, false);
	cli_put(b, "\033[0m");
	eol(b);
	const char *cp = (const char *)changes.data,
		   *ce = cp + changes.len;
	for (size_t i = 0; i < show_changes; i++) {
		size_t cn = 0;
		const char *cl = next_line(&cp, ce, &cn);

		if (i + 1 == show_changes && nchanges > show_changes) {
			char more[64];
			int k = snprintf(more, sizeof(more),
					 "  ... and %zu more",
					 nchanges - show_changes + 1);
			put_cols(b, more, (size_t)k, cols, false);
		} else {
			put_cols(b, cl ? cl : "", cl ? cn : 0, cols, false);
		}
		eol(b);
	}
	hs_buf_free(&changes);
	for (size_t i = state_rows + show_changes; i < room; i++)
		eol(b);

	/* The last two lines: a message or prompt, and the keys. */
	hs_buf_reset(l);
	if (sc->prompt != 0)
		cli_putf(l, "%s: %.*s_",
			 sc->prompt == 'g' ? "go to seq" : "go to time",
			 (int)sc->input_len, sc->input);
	else
		cli_put(l, sc->message);
	put_cols(b, (char *)l->data, l->len, cols, false);
	eol(b);
	static const char keys[] = "n/space/-> next  p/<- previous  Home/End "
				   " g seq  t time  q quit";
	cli_put(b, "\033[7m");
	put_cols(b, keys, sizeof(keys) - 1, cols, true);
	cli_put(b, "\033[0m\033[K\033[J");
	fwrite(b->data, 1, b->len, stdout);
	fflush(stdout);
}

/* Keys as the loop sees them. */
enum {
	KEY_NONE = 0,
	KEY_LEFT = 256,
	KEY_RIGHT,
	KEY_HOME,
	KEY_END,
	KEY_ESC,
	KEY_EOF,
};

static int read_byte(int timeout_ms)
{
	struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
	unsigned char c;

	if (timeout_ms >= 0 && poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	ssize_t n = read(STDIN_FILENO, &c, 1);
	if (n == 1)
		return c;
	if (n < 0 && errno == EINTR)
		return KEY_NONE;
	return KEY_EOF;
}

static int read_key(void)
{
	int c = read_byte(-1);

	if (c != 27)
		return c < 0 ? KEY_NONE : c;
	/* An escape sequence follows at once; a lone Esc does not. */
	int c2 = read_byte(50);
	if (c2 != '[' && c2 != 'O')
		return KEY_ESC;
	int c3 = read_byte(50);
	switch (c3) {
	case 'C':
		return KEY_RIGHT;
	case 'D':
		return KEY_LEFT;
	case 'H':
		return KEY_HOME;
	case 'F':
		return KEY_END;
	case '1':
	case '7':
	case '4':
	case '8':
		/* ESC [ 1 ~ (Home), ESC [ 4 ~ (End) and their kin */
		if (read_byte(50) == '~')
			return c3 == '1' || c3 == '7' ? KEY_HOME : KEY_END;
		return KEY_NONE;
	default:
		return KEY_NONE;
	}
}

static void go(screen *sc, stepper *s, uint64_t seq)
{
	if (seq < 1 || seq > s->n)
		return;
	if (replay_load_step(s, seq) != 0)
		snprintf(sc->message, sizeof(sc->message),
			 "cannot read the record of seq %" PRIu64, seq);
}

static void commit_prompt(screen *sc, stepper *s)
{
	char text[sizeof(sc->input) + 1];
	const char *why;

	memcpy(text, sc->input, sc->input_len);
	text[sc->input_len] = '\0';
	if (sc->prompt == 'g') {
		uint64_t seq;

		if (cli_parse_u64(text, &seq) != 0 || seq < 1 || seq > s->n)
			snprintf(sc->message, sizeof(sc->message),
				 "no seq '%s': the transitions are 1 to %" PRIu64,
				 text, s->n);
		else
			go(sc, s, seq);
	} else {
		int64_t t;

		if (cli_parse_time(text, &t, &why) != 0) {
			snprintf(sc->message, sizeof(sc->message),
				 "malformed time '%s': %s", text, why);
		} else {
			uint64_t seq = replay_seq_at_time(s, t);

			if (seq == 0)
				snprintf(sc->message, sizeof(sc->message),
					 "no transition yet at %s; showing "
					 "the first",
					 text);
			go(sc, s, seq ? seq : 1);
		}
	}
	sc->prompt = 0;
}

int replay_interactive(stepper *s, uint64_t start)
{
	screen sc;
	struct sigaction sa;
	int rc;

	memset(&sc, 0, sizeof(sc));
	if ((rc = replay_load_step(s, start)) != 0)
		return rc;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_winch; /* no SA_RESTART: read() returns */
	sigaction(SIGWINCH, &sa, NULL);
	sa.sa_handler = on_quit;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (term_raw(&sc) != 0) {
		cli_error(s->db->cmd, "cannot set up the terminal");
		return CLI_EXIT_USAGE;
	}
	term_size(&sc);
	for (bool done = false; !done && !quit_signal;) {
		if (resized) {
			resized = 0;
			term_size(&sc);
		}
		draw(&sc, s);
		int k = read_key();

		if (k == KEY_NONE)
			continue;
		if (k == KEY_EOF)
			break;
		if (sc.prompt != 0) {
			if (k == '\r' || k == '\n') {
				commit_prompt(&sc, s);
			} else if (k == KEY_ESC || k == 3) {
				sc.prompt = 0;
			} else if (k == 127 || k == 8) {
				if (sc.input_len > 0)
					sc.input_len--;
			} else if (k >= 32 && k < 127 &&
				   sc.input_len < sizeof(sc.input) - 1) {
				sc.input[sc.input_len++] = (char)k;
			}
			continue;
		}
		sc.message[0] = '\0';
		switch (k) {
		case 'q':
		case 'Q':
		case 3: /* Ctrl-C */
			done = true;
			break;
		case 'n':
		case ' ':
		case 'l':
		case KEY_RIGHT:
			if (s->seq < s->n)
				go(&sc, s, s->seq + 1);
			else
				snprintf(sc.message, sizeof(sc.message),
					 "this is the last transition");
			break;
		case 'p':
		case 'h':
		case KEY_LEFT:
			if (s->seq > 1)
				go(&sc, s, s->seq - 1);
			else
				snprintf(sc.message, sizeof(sc.message),
					 "this is the first transition");
			break;
		case KEY_HOME:
			go(&sc, s, 1);
			break;
		case KEY_END:
			go(&sc, s, s->n);
			break;
		case 'g':
		case 't':
			sc.prompt = (char)k;
			sc.input_len = 0;
			break;
		default:
			snprintf(sc.message, sizeof(sc.message),
				 "keys: n next, p previous, g seq, t time, "
				 "q quit");
		}
	}
	term_restore(&sc);
	hs_buf_free(&sc.buf);
	hs_buf_free(&sc.line);
	return CLI_EXIT_OK;
}

