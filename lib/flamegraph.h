/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Flame graphs: folded stacks ("comm;outer;inner 42", root first) merged
 * into a tree, written as folded text or as an SVG where each frame's width
 * is its share of the samples, with its name, count and share in a hover
 * title, and a search that highlights the frames whose names match.
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

uint64_t flame_total(const struct flame *f);

/* One "frames count" line per distinct stack, in tree order. */
int flame_write_folded(const struct flame *f, FILE *out);

/* The SVG document; 'title' is drawn at the top. */
int flame_write_svg(const struct flame *f, FILE *out, const char *title);

/* s with &, <, >, " and ' as XML entities, into out. */
void flame_xml_escape(FILE *out, const char *s);

#endif /* OBSERVE_FLAMEGRAPH_H */
