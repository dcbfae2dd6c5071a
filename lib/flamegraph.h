/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Flame graphs: folded stacks ("comm;outer;inner 42", root first) merged
 * into a tree, written as folded text or as an SVG where each frame's width
 * is its share of the samples, with its name, count and share in a hover
 * title, a search that highlights the frames whose names match, and
 * click-to-zoom. A differential graph holds two profiles, BEFORE and AFTER:
 * it draws AFTER, each frame coloured by how its share of all samples
 * changed (red grew, blue shrank).
 */
#ifndef OBSERVE_FLAMEGRAPH_H
#define OBSERVE_FLAMEGRAPH_H

#include <stdint.h>
#include <stdio.h>

struct flame;

struct flame *flame_new(void);
void flame_free(struct flame *f);

/* Adds 'count' samples of the stack 'frames' (names separated by ';',
 * root first). 0, or -1 when out of memory. */
int flame_add(struct flame *f, const char *frames, uint64_t count);

enum flame_side { FLAME_AFTER, FLAME_BEFORE };

/* Adds the samples of one side of a differential graph. */
int flame_add_side(struct flame *f, const char *frames, uint64_t count, enum flame_side side);

/* Reads a folded file ("frames count" lines) into one side; -1 with the
 * error said (which line of which file) when it cannot. */
int flame_read_folded(struct flame *f, const char *path, enum flame_side side);

uint64_t flame_total(const struct flame *f);

/* Calls 'visit' for each distinct stack with samples of its own (AFTER's),
 * its frames root first (the root's "all" left out); stops at the first
 * non-zero return, and returns it. */
typedef int (*flame_visit)(const char *const *frames, unsigned depth, uint64_t count, void *ctx);
int flame_each_stack(const struct flame *f, flame_visit visit, void *ctx);

/* One "frames count" line per distinct stack, in tree order. */
int flame_write_folded(const struct flame *f, FILE *out);

/* The SVG document; 'title' is drawn at the top. */
int flame_write_svg(const struct flame *f, FILE *out, const char *title);

/* s with &, <, >, " and ' as XML entities, into out. */
void flame_xml_escape(FILE *out, const char *s);

#endif /* OBSERVE_FLAMEGRAPH_H */
