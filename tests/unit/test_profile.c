// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The profiler's user-space parts without a kernel: demangling, the
 * differential flame graph and the pprof encoding. */
#include "check.h"
#include "demangle.h"
#include "flamegraph.h"
#include "pprof.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

TEST(demangle_reads_cpp_rust_legacy_and_rust_v0_and_leaves_plain_names)
{
	static const char *const cases[][2] = {
		{ "_ZN2ns6Burner3hotEm", "ns::Burner::hot" },
		{ "_ZN4core3fmt9Formatter3pad17h0123456789abcdefE", "core::fmt::Formatter::pad" },
		{ "_RNvCs1234_7mycrate3foo", "mycrate::foo" },
		{ "main", "main" },
		{ "_Zbogus", "_Zbogus" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *name = demangle(cases[i][0]);

		check_note("demangling %s", cases[i][0]);
		CHECK_STREQ(cases[i][1], name);
		free(name);
	}
}

static char *temp_folded(const char *text)
{
	char *path = strdup("/tmp/observe-unit-XXXXXX");
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

TEST(a_diff_graph_colours_growth_red_and_shrinkage_blue_by_share)
{
	/* hot doubles its samples while the total doubles too: unchanged;
	 * grow goes from 10% to 40%; shrink from 40% to 10%. */
	char *before = temp_folded("c;hot 50\nc;grow 10\nc;shrink 40\n");
	char *after = temp_folded("c;hot 100\nc;grow 80\nc;shrink 20\n");
	char *bad = temp_folded("c;hot 50\nno count here\n");
	struct flame *f = flame_new();
	char *svg = NULL;
	size_t len = 0;
	FILE *out;

	if (!CHECK_TRUE(before && after && bad && f))
		return;
	CHECK_EQ_I64(0, flame_read_folded(f, before, FLAME_BEFORE));
	CHECK_EQ_I64(0, flame_read_folded(f, after, FLAME_AFTER));
	CHECK_EQ_U64(200, flame_total(f));
	out = open_memstream(&svg, &len);
	flame_write_svg(f, out, "t");
	fclose(out);
	CHECK_CONTAINS(svg, len, "grow (80 samples, 40.00%; before 10 samples, 10.00%; +30.00 points)"
		       "</title><rect x=\"600.0\" y=\"36.0\" width=\"472.0\" height=\"15\" fill=\"rgb(255,45,45)\"");
	CHECK_CONTAINS(svg, len, "fill=\"rgb(45,45,255)\"");	/* shrink */
	CHECK_CONTAINS(svg, len, "hot (100 samples, 50.00%; before 50 samples, 50.00%; +0.00 points)");
	CHECK_CONTAINS(svg, len, "function zoom(");
	CHECK_EQ_I64(-1, flame_read_folded(f, bad, FLAME_AFTER));
	free(svg);
	flame_free(f);
	unlink(before);
	unlink(after);
	unlink(bad);
	free(before);
	free(after);
	free(bad);
}

TEST(pprof_is_gzipped_protobuf_with_inlined_frames_in_one_location)
{
	struct pprof_meta meta = { .period_ns = 20000000, .duration_ns = 1, .time_ns = 2 };
	struct flame *f = flame_new();
	unsigned char raw[4096];
	char *gz = NULL;
	size_t len = 0;
	uLongf raw_len = sizeof(raw);
	z_stream z = {};
	FILE *out;

	if (!CHECK_TRUE(f != NULL))
		return;
	flame_add(f, "cmd;main (m.c:3);helper [inlined] (m.c:9)", 5);
	out = open_memstream(&gz, &len);
	CHECK_EQ_I64(0, pprof_write(f, &meta, out));
	fclose(out);
	CHECK_TRUE(len > 2 && (unsigned char)gz[0] == 0x1f && (unsigned char)gz[1] == 0x8b);
	inflateInit2(&z, 15 + 16);
	z.next_in = (unsigned char *)gz;
	z.avail_in = len;
	z.next_out = raw;
	z.avail_out = sizeof(raw);
	CHECK_EQ_I64(Z_STREAM_END, inflate(&z, Z_FINISH));
	raw_len = z.total_out;
	inflateEnd(&z);
	/* Sample: locations 2 (main and helper), 1 (cmd), leaf first; values
	 * 5 and 5 * 20 ms. */
	CHECK_CONTAINS(raw, raw_len, "\x12\x0b\x0a\x02\x02\x01\x12\x05\x05\x80\xc2\xd7\x2f");
	/* Location 2: helper (function 2) at line 9, the leaf-most line
	 * first, then main (function 3) at line 3. */
	CHECK_CONTAINS(raw, raw_len, "\x22\x0e\x08\x02\x22\x04\x08\x02\x10\x09\x22\x04\x08\x03\x10\x03");
	CHECK_CONTAINS(raw, raw_len, "helper");
	CHECK_CONTAINS(raw, raw_len, "m.c");
	free(gz);
	flame_free(f);
}
