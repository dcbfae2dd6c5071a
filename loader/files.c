// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The files collector's load: file opens. */
#include "collectors.h"
#include "files.skel.h"

#include <sys/syscall.h>

COLLECTOR_SKELETON(files)

static void files_configure(void *skel, const struct load_config *cfg)
{
	struct files_bpf *s = skel;

	if (!can_read_syscall_args("file opens will not be reported")) {
		bpf_program__set_autoload(s->progs.openat_exit, false);
		bpf_program__set_autoload(s->progs.openat2_exit, false);
	}
}

static const struct syscall_exit_program files_syscall_exits[] = {
	{ "openat_exit", "openat_exit_tail", __NR_openat },
	{ "openat2_exit", "openat2_exit_tail", __NR_openat2 },
	{ NULL, NULL, 0 },
};

const struct collector collector_files = {
	COLLECTOR_ROW(FILES, files),
	.configure = files_configure,
	.syscall_exits = files_syscall_exits,
};
