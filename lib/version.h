/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* observe's version, from one place: debian/changelog, plus the git commit
 * the binary was built from (scripts/version.sh, at build time). */
#ifndef OBSERVE_VERSION_H
#define OBSERVE_VERSION_H

extern const char observe_version[];

/*
 * Every binary calls this first: "--version" anywhere before "--" prints
 * "PROGRAM (observe) VERSION" and exits 0, whatever else the line holds,
 * as GNU tools do. A pre-scan keeps each option table as it is.
 */
void exit_if_version_asked(int argc, char **argv);

#endif /* OBSERVE_VERSION_H */
