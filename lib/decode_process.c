// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The process collector's events: exec, fork, exit. */
#include "decoders.h"
#include "process.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* argv bytes are NUL-terminated strings; a cut last one has no NUL. An
 * argument the kernel could not read (bit i of 'missing') is null. */
static void argv_json(struct json_writer *w, const char *argv, size_t len, uint32_t missing)
{
	size_t i = 0;

	json_key(w, "argv");
	json_array_begin(w);
	for (unsigned arg = 0; i < len; arg++) {
		size_t n = strnlen_bytes(argv + i, len - i);

		if (!n && arg < OBSERVE_EXEC_MISSING_LAST && (missing & (1u << arg)))
			json_null(w);
		else
			json_string(w, argv + i, n);
		i += n + 1;
	}
	json_array_end(w);
}

int decode_exec(struct json_writer *w, const void *rec, size_t size)
{
	const struct observe_exec_event *e = rec;
	const char *argv = e->data, *filename = e->data + e->argv_len;
	const char *exe = filename + e->filename_len, *prev_exe = exe + e->exe_len;

	if (sizeof(*e) + e->argv_len + e->filename_len + e->exe_len + e->prev_exe_len > size)
		return -EINVAL;
	json_kv_str(w, "filename", filename, strnlen_bytes(filename, e->filename_len));
	/* Absent, not empty, when the kernel gave none (a failed exec). */
	if (e->exe_len)
		json_kv_str(w, "exe", exe, strnlen_bytes(exe, e->exe_len));
	if (e->prev_exe_len)
		json_kv_str(w, "prev_exe", prev_exe, strnlen_bytes(prev_exe, e->prev_exe_len));
	argv_json(w, argv, e->argv_len, e->missing);
	json_kv_u64(w, "argc", e->argc);
	if (e->missing) {
		unsigned n = __builtin_popcount(e->missing & ~(1u << OBSERVE_EXEC_MISSING_LAST));

		/* how many are null; from argument 31 on only that some are */
		json_kv_u64(w, "argv_missing", n);
		if (e->missing & (1u << OBSERVE_EXEC_MISSING_LAST))
			json_kv_bool(w, "argv_missing_more", true);
	}
	json_kv_result(w, "ret", e->retval);
	return 0;
}

int decode_fork(struct json_writer *w, const void *rec, size_t size)
{
	const struct observe_fork_event *e = rec;

	json_kv_u64(w, "child_pid", e->child_pid);
	return 0;
}

int decode_exit(struct json_writer *w, const void *rec, size_t size)
{
	const struct observe_exit_event *e = rec;
	unsigned sig = e->exit_status & 0x7f;

	json_kv_u64(w, "exit_code", (e->exit_status >> 8) & 0xff);
	json_kv_u64(w, "signal", sig);
	if (sig) {
		const char *abbrev = sigabbrev_np(sig);
		char name[24];

		snprintf(name, sizeof(name), "SIG%s", abbrev ? abbrev : "?");
		json_kv_cstr(w, "signal_name", name);
	}
	json_kv_bool(w, "core_dumped", e->exit_status & 0x80);
	json_kv_u64(w, "lifetime_ns", e->lifetime_ns);
	return 0;
}
