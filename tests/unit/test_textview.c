// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/textview: the -o text line of each record type, control bytes shown
 * as \xNN, lines that are not JSON passed through. */
#include "check.h"
#include "textview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text view of 'json' (one or more lines), header included. */
static char *view(const char *json)
{
	struct textview tv = { .color = false };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	textview_write(&tv, json, strlen(json), f);
	fclose(f);
	return out;
}

#define HEADER "TIME(UTC)        PID COMM            EVENT     DETAIL\n"
#define CHECK_VIEW(json, expected)						\
	do {									\
		char *got_ = view(json);					\
		CHECK_STREQ(HEADER expected, got_ ? got_ : "(null)");		\
		free(got_);							\
	} while (0)

TEST(textview_exec_shows_the_command_line_and_escapes_control_bytes)
{
	CHECK_VIEW("{\"time\":\"2026-12-03T06:50:26.982015726Z\",\"type\":\"exec\",\"pid\":42,"
		   "\"comm\":\"sh\",\"filename\":\"/bin/echo\",\"argv\":[\"echo\",\"a\\u001b[2J\"],"
		   "\"argc\":2,\"ret\":0}\n",
		   "06:50:26.982      42 sh              exec      /bin/echo a\\x1b[2J = 0\n");
}

TEST(textview_exec_shows_the_executable_where_the_name_given_does_not)
{
	CHECK_VIEW("{\"time\":\"2026-12-03T06:50:26.982015726Z\",\"type\":\"exec\",\"pid\":42,"
		   "\"comm\":\"sh\",\"filename\":\"./run\",\"exe\":\"/usr/bin/dash\","
		   "\"argv\":[\"run\"],\"argc\":1,\"ret\":0}\n",
		   "06:50:26.982      42 sh              exec      ./run [/usr/bin/dash] = 0\n");
	CHECK_VIEW("{\"time\":\"2026-12-03T06:50:26.982015726Z\",\"type\":\"exec\",\"pid\":42,"
		   "\"comm\":\"sh\",\"filename\":\"/bin/id\",\"exe\":\"/usr/bin/id\","
		   "\"argv\":[\"id\"],\"argc\":1,\"ret\":0}\n",
		   "06:50:26.982      42 sh              exec      /bin/id = 0\n");
}

TEST(textview_exec_says_how_many_arguments_were_not_captured)
{
	CHECK_VIEW("{\"time\":\"2026-12-03T06:50:26.982015726Z\",\"type\":\"exec\",\"pid\":42,"
		   "\"comm\":\"sh\",\"filename\":\"/bin/x\",\"argv\":[\"x\",\"1\"],\"argc\":9,"
		   "\"ret\":-2,\"error\":\"ENOENT\"}\n",
		   "06:50:26.982      42 sh              exec      /bin/x 1 ... (9 args) = ENOENT\n");
}

TEST(textview_open_exit_connect_and_tcp_close)
{
	CHECK_VIEW("{\"time\":\"2026-12-03T00:00:01.000000000Z\",\"type\":\"open\",\"pid\":7,\"comm\":\"cat\","
		   "\"path\":\"/etc/x\",\"flag_names\":\"O_RDONLY\",\"ret\":3}\n"
		   "{\"time\":\"2026-12-03T00:00:01.000000000Z\",\"type\":\"exit\",\"pid\":7,\"comm\":\"cat\","
		   "\"exit_code\":0,\"signal\":9,\"signal_name\":\"SIGKILL\",\"lifetime_ns\":1500000}\n"
		   "{\"time\":\"2026-12-03T00:00:01.000000000Z\",\"type\":\"connect\",\"pid\":8,\"comm\":\"curl\","
		   "\"local_addr\":\"::1\",\"local_port\":5,\"remote_addr\":\"::1\",\"remote_port\":443,"
		   "\"ret\":-111,\"error\":\"ECONNREFUSED\"}\n"
		   "{\"time\":\"2026-12-03T00:00:01.000000000Z\",\"type\":\"tcp_close\",\"pid\":8,\"comm\":\"curl\","
		   "\"local_addr\":\"127.0.0.1\",\"local_port\":5,\"remote_addr\":\"127.0.0.1\",\"remote_port\":80,"
		   "\"bytes_sent\":10,\"bytes_received\":20,\"duration_ns\":2000}\n",
		   "00:00:01.000       7 cat             open      /etc/x O_RDONLY = 3\n"
		   "00:00:01.000       7 cat             exit      killed by SIGKILL after 1.5 ms\n"
		   "00:00:01.000       8 curl            connect   [::1]:5 -> [::1]:443 = ECONNREFUSED\n"
		   "00:00:01.000       8 curl            tcp_close 127.0.0.1:5 <-> 127.0.0.1:80 sent 10 B, "
		   "received 20 B, open 2000 ns\n");
}

TEST(textview_other_records_show_their_own_fields_and_bad_lines_pass_through)
{
	CHECK_VIEW("{\"time\":\"2026-12-03T00:00:01.000000000Z\",\"type\":\"gap\",\"slot\":1,\"lost\":5}\n"
		   "not json \x07\n",
		   "00:00:01.000                         gap       slot=1 lost=5\n"
		   "not json \\x07\n");
}
