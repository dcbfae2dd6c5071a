/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The collectors the loader knows: each is one BPF object (skeleton) with its
 * load-time settings. Adding a collector adds one entry here.
 */
#ifndef OBSERVE_COLLECTORS_H
#define OBSERVE_COLLECTORS_H

#include <bpf/libbpf.h>
#include "loader.h"

struct collector {
	const char *name;
	unsigned id;		/* enum observe_collector */
	/* Opens the skeleton (not loaded) and sets *obj; NULL on failure. */
	void *(*open)(struct bpf_object **obj, const struct bpf_object_open_opts *opts);
	/* Writes the load-time settings into the skeleton's rodata. */
	void (*configure)(void *skel, const struct load_config *cfg);
	void (*destroy)(void *skel);
};

extern const struct collector collectors[];
extern const unsigned nr_collectors;

#endif /* OBSERVE_COLLECTORS_H */
