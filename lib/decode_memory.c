// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The memory collector's events: OOM kills. */
#include "decoders.h"
#include "memory.h"

#include <string.h>

int decode_oom_kill(struct json_writer *w, const void *rec, size_t size)
{
	const struct observe_oom_event *e = rec;

	json_kv_u64(w, "victim_pid", e->victim_pid);
	json_kv_str(w, "victim_comm", e->victim_comm,
		    strnlen_bytes(e->victim_comm, sizeof(e->victim_comm)));
	json_kv_u64(w, "victim_uid", e->victim_uid);
	json_kv_u64(w, "total_vm_kb", e->total_vm_kb);
	json_kv_u64(w, "anon_rss_kb", e->anon_rss_kb);
	json_kv_u64(w, "file_rss_kb", e->file_rss_kb);
	json_kv_u64(w, "shmem_rss_kb", e->shmem_rss_kb);
	json_kv_u64(w, "pgtables_kb", e->pgtables_kb);
	json_kv_i64(w, "oom_score_adj", e->oom_score_adj);
	return 0;
}
