/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the parts of observe-load share. */
#ifndef OBSERVE_LOADER_H
#define OBSERVE_LOADER_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "observe.h"
#include "pins.h"
#include "tls.h"

#define OBSERVE_TLS_MAX_BINARIES 16

struct load_config {
	const char *pin_dir;
	const char *group;
	unsigned nr_slots;
	uint64_t ring_size;
	unsigned argv_max;
	bool runq_per_cgroup;	/* a run-queue histogram per cgroup as well */
	bool details_given;	/* --details: set which are on for good */
	uint32_t details;	/* bit per enum observe_detail on for good */
	uint32_t details_left_out;	/* --without-details: their programs not loaded */
	unsigned profile_hz;	/* samples per second per CPU of the profiler */
	/* The TLS collector: loaded only when asked for; its slots belong to tls_group. */
	int tls_wanted;		/* --tls: 1 yes, 0 no, -1 as --collectors says */
	const char *tls_group;
	unsigned nr_tls_slots;
	uint64_t tls_ring_size;
	unsigned tls_max;	/* plaintext bytes captured per call */
	const char *tls_binaries[OBSERVE_TLS_MAX_BINARIES];	/* --tls-binary */
	unsigned nr_tls_binaries;
	uint64_t collectors;	/* bit per enum observe_collector */
	uint64_t required;	/* named by the user: fail rather than leave out */
	unsigned lock_wait;	/* seconds to wait for another observe-load */
	bool verbose;
};

/* system.c: the machine around the loader */
int check_capabilities(void);
int ensure_bpffs(const char *pin_dir);
int ensure_tracefs(void);
/* path opened for reading if it is a regular file; else -1 with errno
 * (EISDIR, or EINVAL for a FIFO, a device, ...), and never waits. */
int open_regular_file(const char *path);
/* Why open_regular_file() failed with err, in words. */
const char *open_regular_error(int err);
int resolve_group(const char *name, bool create, gid_t *gid);
/* Waits at most wait_s seconds until no other observe-load works on this pin
 * directory, then says which process holds it; the lock holds until this
 * process exits. */
int lock_out_other_loaders(const char *pin_dir, unsigned wait_s);

/* probe.c: what the kernel supports */
struct kernel_features {
	char release[OBSERVE_RELEASE_LEN];
	bool btf;
	bool ringbuf;
	bool ringbuf_in_map_array;
	bool tracefs;
};
void probe_kernel(struct kernel_features *f);
/* Whether the hook of a program's section ("tp/cat/name", "raw_tp/name") exists. */
bool probe_hook(const char *section, const char **why);
int print_probe(const struct load_config *cfg);
/* Whether sched_process_exit passes group_dead: one exit program or the other. */
bool exit_has_group_dead(void);

/* perf_event.c: the profiler's sampling events */
/* A cpu-clock perf event on 'cpu' sampling at 'hz', or -1 (errno set). */
int open_cpu_clock(int cpu, unsigned hz);
/* The CPUs online now, from /sys/devices/system/cpu/online: the first max
 * into cpus; returns how many are online (maybe more than max), or -1. */
int online_cpus(int *cpus, int max);

/* load.c: load, attach and pin */
/* gid owns the pins, tls_gid the TLS slots. */
int load_and_pin(const struct load_config *cfg, const struct kernel_features *f, gid_t gid,
		 gid_t tls_gid);

/* tls_targets.c: the libraries and binaries the TLS collector probes */
/* A function's symbol and library: tls_function_name(), tls_function_library()
 * (lib/decoders.h). */
struct tls_function {
	const char *entry_prog, *return_prog;	/* its programs in tls.bpf.c (no return: NULL) */
	bool at_returns;	/* return_prog is a uprobe on each return instruction */
};
extern const struct tls_function tls_functions[OBSERVE_TLS_FUNC_COUNT];
/* Fills t (OBSERVE_TLS_MAX_TARGETS entries): the --tls-binary files, then
 * the TLS libraries of the dynamic loader's cache. Returns how many, or -1
 * (reported) for a --tls-binary that cannot be probed. */
int tls_find_targets(const struct load_config *cfg, struct observe_tls_target *t);
/* Whether a --tls-binary is a glob(7) pattern, expanded at each load. */
bool tls_is_pattern(const char *path);
/* A function in a file: where its code starts in the file, and its length. */
struct tls_symbol {
	uint64_t offset;
	uint64_t size;
};
/* Finds the function 'name' in .symtab or .dynsym: 1 found, 0 not, -1 the
 * file cannot be read as ELF. */
int tls_find_symbol(const char *path, const char *name, struct tls_symbol *found);
/* Where to probe each function of a target. */
struct tls_location {
	bool wanted[OBSERVE_TLS_FUNC_COUNT];
	struct tls_symbol at[OBSERVE_TLS_FUNC_COUNT];	/* by symbol or by signature */
};
/* Finds a target's functions: by symbol, else (a --tls-binary without any)
 * by signature. Sets the target's found_by, note, addr and the status of
 * what is missing; returns how many functions are to be probed. */
int tls_locate(struct observe_tls_target *t, struct tls_location *loc);
/* One line on what became of a target, or (planned) what would be probed. */
void tls_print_target(const struct observe_tls_target *t, const struct tls_location *planned);

/* elf_image.c: an ELF file mapped for reading its code by address */
struct elf_image {
	const uint8_t *map;
	size_t size;
	const Elf64_Phdr *ph;
	unsigned nr_ph;
};
/* Maps a 64-bit ELF file of 'machine' (EM_X86_64...); -1 if it cannot be
 * read, -2 if it is not such a file, with why said. */
int elf_image_open(struct elf_image *img, const char *path, unsigned machine, char *why,
		   size_t len);
void elf_image_close(struct elf_image *img);
/* The file bytes of [addr, addr + len) in a loaded segment (an executable
 * one if exec), and their offset in the file; NULL if not all there. */
const uint8_t *elf_image_bytes(const struct elf_image *img, uint64_t addr, uint64_t len, bool exec,
			       uint64_t *offset);
/* The function around addr as .eh_frame has it: its FDE's [start, end). */
bool eh_frame_function(const struct elf_image *img, uint64_t addr, uint64_t *start,
		       uint64_t *end);

/* tls_go.c: what Go code needs */
/* The file offsets of the return instructions of a function (x86-64 only),
 * at most max: how many, or -1 with errno (E2BIG: more than max;
 * ENOEXEC: code that does not disassemble; ENOTSUP: another architecture). */
int tls_return_offsets(const char *path, const struct tls_symbol *fn, uint64_t *offsets, int max);
/* The offset of crypto/tls.Conn's serverName in a Go binary, from its DWARF;
 * -1 when it has none (built with -ldflags=-w, or stripped). */
long tls_go_server_name_offset(const char *path);

/* tls_boringssl.c: BoringSSL's functions in a binary without their symbols */
enum boringssl_function {
	BORINGSSL_SSL_WRITE,
	BORINGSSL_SSL_READ,		/* or the SSL_peek it calls: the same bytes */
	BORINGSSL_SSL_DO_HANDSHAKE,
	BORINGSSL_SET_HOST_NAME,	/* SSL_set_tlsext_host_name */
	BORINGSSL_FUNCTION_COUNT,
};
struct boringssl_entries {
	uint64_t addr[BORINGSSL_FUNCTION_COUNT];	/* 0: not found */
	uint64_t offset[BORINGSSL_FUNCTION_COUNT];	/* in the file, for a uprobe */
	unsigned nr_sites;	/* ssl_lib.cc's error reports found in the code */
	unsigned nr_functions;	/* functions of ssl_lib.cc whose entry is called */
	char why[120];		/* SSL_write and SSL_read not found: why */
};
/* 1: SSL_write and SSL_read found (the others perhaps); 0: not, out->why
 * says why; -1: the file cannot be searched (out->why). */
int tls_boringssl_find(const char *path, struct boringssl_entries *out);

/* generation.c: one switch from the old programs to the new */
struct bpf_object;
/* Sets the const volatile global 'name' of obj (size bytes) before it loads;
 * -ENOENT if obj has none. */
int set_rodata(struct bpf_object *obj, const char *name, const void *value, size_t size);
/* One past the highest generation in the readers maps pinned at these paths. */
__u32 next_generation(const char *const *readers_paths, int n);
/* Makes the programs of 'generation' the ones that run, and keeps only
 * keep_bits of the readers' mask (the slots with a live reader). */
int switch_generation(int readers_fd, __u32 generation, __u64 keep_bits);

/* map_copy.c: keeping a replaced map's entries */
/* Copies every entry of the map 'from' into 'to'; how many, or -1 (errno). */
int copy_map_entries(int from, int to);

/* pinning.c: owners, modes and removal (pin_place: lib/pins.h) */
int unload_pins(const char *pin_dir);
/* Removes the tmp- pins that killed runs left anywhere below the pin
 * directory (this run's are renamed by then). */
void remove_leftover_staging(const char *pin_dir);
/* path opened with O_CLOEXEC and flags; fails with ELOOP when any component
 * of it is a symbolic link. */
int open_no_symlinks(const char *path, int flags);
/* The pin directory's parent, opened: a directory on bpffs that only root may
 * change, reached through no symbolic link; -1 (reported) otherwise. */
int open_pin_parent(const char *pin_dir);
/* The same checks, and the pin directory, when it exists, is a directory on
 * bpffs and not a link: 0, or -1 (reported). */
int check_pin_dir(const char *pin_dir);
/* Creates the directory path if missing (*created says so) and makes it
 * root:gid 0750 through its fd, after checking it is a directory on bpffs
 * and no link. */
int pin_make_dir(const char *path, gid_t gid, mode_t mode, bool *created);
/* The pin path, checked to be a pinned object reached through no link,
 * becomes root:gid with mode. */
int pin_set_owner(const char *path, gid_t gid, mode_t mode);

#endif /* OBSERVE_LOADER_H */
