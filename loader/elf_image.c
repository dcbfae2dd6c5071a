// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An ELF file mapped for reading its code by address, as the loader's
 * searches without symbols need: the bytes at an address of a loaded
 * segment (and their file offset, where a uprobe goes), and a function's
 * bounds from .eh_frame, found through .eh_frame_hdr's sorted table.
 */
#include "loader.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int elf_image_open(struct elf_image *img, const char *path, unsigned machine, char *why,
		   size_t len)
{
	const Elf64_Ehdr *eh;
	struct stat st;
	int fd = open_regular_file(path);

	memset(img, 0, sizeof(*img));
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(why, len, "%s", fd < 0 ? open_regular_error(errno) : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	img->size = st.st_size;
	img->map = img->size >= sizeof(*eh) ?
		mmap(NULL, img->size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	if (img->map == MAP_FAILED) {
		snprintf(why, len, "cannot map the file: %s",
			 img->size < sizeof(*eh) ? "too short for ELF" : strerror(errno));
		img->map = NULL;
		return -1;
	}
	eh = (const Elf64_Ehdr *)img->map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_machine != machine || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > img->size) {
		snprintf(why, len, "not a 64-bit ELF file of machine %u", machine);
		elf_image_close(img);
		return -2;
	}
	img->ph = (const Elf64_Phdr *)(img->map + eh->e_phoff);
	img->nr_ph = eh->e_phnum;
	return 0;
}

void elf_image_close(struct elf_image *img)
{
	if (img->map)
		munmap((void *)img->map, img->size);
	img->map = NULL;
}

const uint8_t *elf_image_bytes(const struct elf_image *img, uint64_t addr, uint64_t len, bool exec,
			       uint64_t *offset)
{
	for (unsigned i = 0; i < img->nr_ph; i++) {
		const Elf64_Phdr *p = &img->ph[i];

		if (p->p_type != PT_LOAD || (exec && !(p->p_flags & PF_X)) ||
		    addr < p->p_vaddr || addr - p->p_vaddr + len > p->p_filesz ||
		    p->p_offset + p->p_filesz > img->size)
			continue;
		if (offset)
			*offset = addr - p->p_vaddr + p->p_offset;
		return img->map + p->p_offset + (addr - p->p_vaddr);
	}
	return NULL;
}

/* A pointer of .eh_frame's encodings (DW_EH_PE_*): its size by the low
 * nibble, pc-relative (0x10) or data-relative (0x30) by the high one; the
 * others are not met in x86-64 code and are refused. */
static bool read_encoded(const uint8_t **p, const uint8_t *end, uint8_t enc, uint64_t pc,
			 uint64_t data, uint64_t *value)
{
	unsigned size;
	int64_t v = 0;

	switch (enc & 0x0f) {
	case 0x00: case 0x04: case 0x0c: size = 8; break;
	case 0x03: case 0x0b: size = 4; break;
	case 0x02: case 0x0a: size = 2; break;
	default: return false;
	}
	if (end - *p < size)
		return false;
	if (size == 8) {
		memcpy(&v, *p, 8);
	} else if (size == 4) {
		int32_t s32;
		uint32_t u32;

		memcpy(&s32, *p, 4);
		memcpy(&u32, *p, 4);
		v = enc & 0x08 ? s32 : (int64_t)u32;
	} else {
		int16_t s16;
		uint16_t u16;

		memcpy(&s16, *p, 2);
		memcpy(&u16, *p, 2);
		v = enc & 0x08 ? s16 : (int64_t)u16;
	}
	*p += size;
	switch (enc & 0x70) {
	case 0x00: *value = v; return true;
	case 0x10: *value = pc + v; return true;
	case 0x30: *value = data + v; return true;
	default: return false;
	}
}

static uint64_t read_uleb(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;

	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	return v;
}

/* The pointer encoding of a CIE's FDEs ('R' of its "z" augmentation). */
static bool cie_fde_encoding(const struct elf_image *img, uint64_t cie, uint8_t *enc)
{
	const uint8_t *p = elf_image_bytes(img, cie, 16, false, NULL), *end, *aug;
	uint32_t len;
	uint8_t version;

	*enc = 0;	/* absptr, when there is no 'R' */
	if (!p)
		return false;
	memcpy(&len, p, 4);
	if (len == 0xffffffff || !(p = elf_image_bytes(img, cie, 4 + (uint64_t)len, false, NULL)))
		return false;
	end = p + 4 + len;
	version = p[8];
	p += 9;			/* length, CIE id, version */
	aug = p;
	while (p < end && *p)
		p++;
	if (p++ >= end || aug[0] != 'z')
		return aug[0] == 0;
	read_uleb(&p, end);	/* code alignment */
	read_uleb(&p, end);	/* data alignment (SLEB: only skipped) */
	if (version == 1 && p < end)	/* one byte of return register */
		p++;
	else
		read_uleb(&p, end);
	read_uleb(&p, end);	/* augmentation length */
	for (const uint8_t *a = aug + 1; *a && p < end; a++) {
		if (*a == 'R') {
			*enc = *p;
			return true;
		}
		if (*a == 'L') {
			p++;
		} else if (*a == 'P') {
			uint64_t ignored;
			uint8_t penc = *p++;

			if (!read_encoded(&p, end, penc & 0x0f, 0, 0, &ignored))
				return false;
		} else {
			return false;
		}
	}
	return true;
}

bool eh_frame_function(const struct elf_image *img, uint64_t addr, uint64_t *start,
		       uint64_t *end)
{
	const uint8_t *hdr = NULL, *p, *table, *fde_end;
	uint64_t hdr_addr = 0, count, lo = 0, hi, loc, fde = 0, begin, range;
	uint32_t len, cie_ptr;
	uint8_t enc;

	for (unsigned i = 0; i < img->nr_ph && !hdr; i++)
		if (img->ph[i].p_type == PT_GNU_EH_FRAME) {
			hdr_addr = img->ph[i].p_vaddr;
			hdr = elf_image_bytes(img, hdr_addr, img->ph[i].p_filesz, false, NULL);
		}
	/* version 1, table of (datarel sdata4, datarel sdata4) with a udata4
	 * count: what GNU ld, gold and LLD write */
	if (!hdr || hdr[0] != 1 || hdr[2] != 0x03 || hdr[3] != 0x3b || (hdr[1] & 0x0f) != 0x0b)
		return false;
	count = (uint32_t)(hdr[8] | hdr[9] << 8 | hdr[10] << 16 | (uint32_t)hdr[11] << 24);
	table = hdr + 12;
	if (!elf_image_bytes(img, hdr_addr + 12, count * 8, false, NULL))
		return false;
	for (hi = count; lo < hi;) {	/* the last entry whose start is <= addr */
		uint64_t mid = (lo + hi) / 2;
		int32_t rel;

		memcpy(&rel, table + mid * 8, 4);
		if (hdr_addr + (int64_t)rel <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return false;
	p = table + (lo - 1) * 8;
	if (!read_encoded(&p, p + 8, 0x3b, 0, hdr_addr, &loc) ||
	    !read_encoded(&p, p + 4, 0x3b, 0, hdr_addr, &fde) ||
	    !(p = elf_image_bytes(img, fde, 8, false, NULL)))
		return false;
	memcpy(&len, p, 4);
	memcpy(&cie_ptr, p + 4, 4);
	if (len == 0xffffffff || len < 8 ||
	    !(p = elf_image_bytes(img, fde, 4 + (uint64_t)len, false, NULL)) ||
	    !cie_fde_encoding(img, fde + 4 - cie_ptr, &enc))
		return false;
	fde_end = p + 4 + len;
	p += 8;
	if (!read_encoded(&p, fde_end, enc, fde + 8, 0, &begin) ||
	    !read_encoded(&p, fde_end, enc & 0x0f, 0, 0, &range))
		return false;
	if (begin != loc || addr < begin || addr - begin >= range)
		return false;
	*start = begin;
	*end = begin + range;
	return true;
}
