/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The human view of observe's JSON lines (-o text): one line a record,
 * like execsnoop's table: time, pid, comm, event, and what happened.
 * It reads the JSON the decoders wrote, so that every record type has one
 * decoder and the text view needs no second copy of the ABI. Strings are
 * attacker-controlled: every control byte is shown as \xNN, never sent to
 * the terminal.
 */
#ifndef OBSERVE_TEXTVIEW_H
#define OBSERVE_TEXTVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct textview {
	bool color;		/* ANSI colours (a terminal, and NO_COLOR unset) */
	bool header_done;
};

/* Colour when 'out' is a terminal and NO_COLOR is not set. */
void textview_init(struct textview *tv, FILE *out);
/* Writes the text lines for 'len' bytes of complete JSON lines; a line
 * that is not a JSON object is written as it is. 0, or -1 on a write error. */
int textview_write(struct textview *tv, const char *json_lines, size_t len, FILE *out);

#endif /* OBSERVE_TEXTVIEW_H */
