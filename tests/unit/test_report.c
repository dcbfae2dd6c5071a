// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/report: every message is one line, whatever it repeats. */
#include "check.h"
#include "report.h"

#include <string.h>

TEST(report_escapes_control_bytes_of_what_a_message_repeats)
{
	char buf[128];

	report_capture(buf, sizeof(buf));
	report_error("no such user: '%s'", "a\nb\x1b[2J\x7f");
	report_capture(NULL, 0);
	CHECK_STREQ("no such user: 'a\\x0ab\\x1b[2J\\x7f'", buf);
	report_capture(buf, sizeof(buf));
	report_warn("%s", "tab\there");
	report_capture(NULL, 0);
	CHECK_STREQ("warning: tab\\x09here", buf);
}
