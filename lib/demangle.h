/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Readable names for mangled symbols: C++ (Itanium ABI, "_Z...") and Rust
 * (legacy "_ZN...17h<hash>E" and v0 "_R..."), by libiberty's demangler,
 * which reads all three. Parameter lists are left out, as pprof shows names
 * by default: a flame graph's frames stay short.
 */
#ifndef OBSERVE_DEMANGLE_H
#define OBSERVE_DEMANGLE_H

/* A malloc()ed copy of 'name', demangled when it is mangled; NULL when out
 * of memory. */
char *demangle(const char *name);

#endif /* OBSERVE_DEMANGLE_H */
