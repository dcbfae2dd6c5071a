/* SPDX-License-Identifier: GPL-2.0 */
/* Selects the generated vmlinux.h of the architecture being built (scripts/gen-vmlinux.sh). */
#if defined(__TARGET_ARCH_x86)
#include "x86/vmlinux.h"
#elif defined(__TARGET_ARCH_arm64)
#include "arm64/vmlinux.h"
#else
#error "no vmlinux.h for this architecture: set __TARGET_ARCH_x86 or __TARGET_ARCH_arm64"
#endif
