// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_replay - libFuzzer target on the `usbts replay` trace parser
 * (tools/usbts/replay.c, usbts_replay_stream()) and the predictor behind
 * it, under ASan and UBSan.  The input is a trace file.
 *
 * Invariants, each an abort() with a message when broken:
 *  - no crash, no undefined behaviour, no leak;
 *  - the result is 0 or 1; 1 comes with exactly one message line naming
 *    "<fuzz>:<line>:", 0 with none;
 *  - on success there is one output line per Q record, in order, each
 *    "<uframe> <ns> <accuracy> <gen>" or "<uframe> - - <gen>" with the
 *    uframe the record asked for; on failure, no more lines than the Q
 *    records before the bad line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_replay: invariant broken: %s: %s\n", what, detail);
	abort();
}

/*
 * The Q records of the input, in order, as the parser should see them;
 * @buf has a NUL after its @size bytes.
 */
static size_t q_records(const char *buf, size_t size, int64_t *q, size_t max)
{
	size_t n = 0, i = 0;

	while (i < size) {
		const char *line = buf + i, *nl = memchr(line, '\n', size - i);
		size_t len = nl ? (size_t)(nl - line) : size - i;
		const char *s = line;

		i += len + 1;
		/* the parser sees a C string: it ends at the first NUL */
		while (s < line + len && (*s == ' ' || *s == '\t'))
			s++;
		if (s + 1 < line + len && s[0] == 'Q' && (s[1] == ' ' || s[1] == '\t') &&
		    !memchr(line, 0, (size_t)(s + 2 - line))) {
			if (n < max)
				q[n] = strtoll(s + 1, NULL, 10);
			n++;
		}
	}
	return n;
}

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int64_t q[1 << 16];
	char *out = NULL, *err = NULL, *copy;
	size_t out_len = 0, err_len = 0, nq, nout, i;
	FILE *in, *fout, *ferr;
	const char *p;
	int ret, raw;

	if (!size)
		return 0;
	/* odd-sized inputs replay on the raw clock of their B records */
	raw = size & 1;
	in = fmemopen((void *)data, size, "r");
	fout = open_memstream(&out, &out_len);
	ferr = open_memstream(&err, &err_len);
	if (!in || !fout || !ferr)
		broken("setup", strerror(errno));
	ret = usbts_replay_stream(in, fout, ferr, "<fuzz>", raw);
	fclose(in);
	fclose(fout);
	fclose(ferr);

	if (ret != 0 && ret != 1)
		broken("result is neither 0 nor 1", err);
	if (ret == 0 && err_len)
		broken("success with a message", err);
	if (ret == 1 && (count_lines(err, err_len) != 1 || !strstr(err, "<fuzz>:")))
		broken("failure without exactly one located message", err);

	copy = malloc(size + 1);
	if (!copy)
		broken("setup", "out of memory");
	memcpy(copy, data, size);
	copy[size] = 0;
	nq = q_records(copy, size, q, sizeof(q) / sizeof(q[0]));
	free(copy);
	nout = count_lines(out, out_len);
	if (ret == 0 && nout != nq)
		broken("not one answer per Q record", out);
	if (nout > nq)
		broken("more answers than Q records", out);
	for (i = 0, p = out; i < nout && i < sizeof(q) / sizeof(q[0]); i++) {
		char *end;
		int64_t x = strtoll(p, &end, 10);
		int fields = 1;

		if (x != q[i])
			broken("an answer names another uframe", p);
		for (; *end != '\n'; end++)
			fields += *end == ' ';
		if (fields != 4)
			broken("an answer without four fields", p);
		p = end + 1;
	}
	free(out);
	free(err);
	return 0;
}
