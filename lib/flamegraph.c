// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "flamegraph.h"
#include "json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH 1200		/* pixels */
#define FRAME_HEIGHT 16
#define FONT_SIZE 12
#define CHAR_WIDTH 7.1		/* average glyph of Verdana at FONT_SIZE */
#define PAD_SIDE 10
#define PAD_TOP (FONT_SIZE * 3)
#define PAD_BOTTOM (FONT_SIZE * 2 + 10)
#define MIN_WIDTH 0.1		/* narrower frames are left out of the picture */

struct node {
	char *name;
	uint64_t count;		/* samples in this frame and above it */
	uint64_t self;		/* samples that end here */
	struct node *children;
	size_t nr_children, cap_children;
};

struct flame {
	struct node root;
};

struct flame *flame_new(void)
{
	struct flame *f = calloc(1, sizeof(*f));

	if (f && !(f->root.name = strdup("all"))) {
		free(f);
		return NULL;
	}
	return f;
}

static void free_node(struct node *n)
{
	for (size_t i = 0; i < n->nr_children; i++)
		free_node(&n->children[i]);
	free(n->children);
	free(n->name);
}

void flame_free(struct flame *f)
{
	if (!f)
		return;
	free_node(&f->root);
	free(f);
}

static struct node *child(struct node *n, const char *name, size_t len)
{
	struct node *c;

	for (size_t i = 0; i < n->nr_children; i++)
		if (!strncmp(n->children[i].name, name, len) && !n->children[i].name[len])
			return &n->children[i];
	if (n->nr_children == n->cap_children) {
		size_t cap = n->cap_children ? n->cap_children * 2 : 4;

		c = realloc(n->children, cap * sizeof(*c));
		if (!c)
			return NULL;
		n->children = c;
		n->cap_children = cap;
	}
	c = &n->children[n->nr_children];
	memset(c, 0, sizeof(*c));
	c->name = strndup(name, len);
	if (!c->name)
		return NULL;
	n->nr_children++;
	return c;
}

int flame_add(struct flame *f, const char *frames, uint64_t count)
{
	struct node *n = &f->root;

	n->count += count;
	while (*frames) {
		size_t len = strcspn(frames, ";");

		if (len) {
			n = child(n, frames, len);
			if (!n)
				return -1;
			n->count += count;
		}
		frames += len + (frames[len] == ';');
	}
	n->self += count;
	return 0;
}

uint64_t flame_total(const struct flame *f)
{
	return f->root.count;
}

/* Frames from the root's child to n, for folded lines. */
static int folded(const struct node *n, const char **path, unsigned depth, FILE *out)
{
	if (depth >= 4096)
		return 0;
	path[depth] = n->name;
	if (n->self) {
		for (unsigned i = 1; i <= depth; i++)
			fprintf(out, "%s%s", i > 1 ? ";" : "", path[i]);
		fprintf(out, " %llu\n", (unsigned long long)n->self);
	}
	for (size_t i = 0; i < n->nr_children; i++)
		folded(&n->children[i], path, depth + 1, out);
	return 0;
}

int flame_write_folded(const struct flame *f, FILE *out)
{
	const char **path = calloc(4096, sizeof(*path));

	if (!path)
		return -1;
	folded(&f->root, path, 0, out);
	free(path);
	return ferror(out) ? -1 : 0;
}

void flame_xml_escape(FILE *out, const char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		size_t n = json_utf8_seq_len((const unsigned char *)s + i, len - i);

		if (!n) {		/* not UTF-8: XML would not parse */
			fputs("\xef\xbf\xbd", out);
			i++;
			continue;
		}
		if (n > 1) {
			fwrite(s + i, 1, n, out);
			i += n;
			continue;
		}
		switch (s[i]) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default:
			/* XML 1.0 forbids most control characters, even escaped. */
			fputc((unsigned char)s[i] < 0x20 ? '?' : s[i], out);
		}
		i++;
	}
}

/* The byte length of the first 'chars' characters of s (UTF-8; a byte that
 * is not counts as one). */
static size_t prefix_bytes(const char *s, size_t chars)
{
	size_t len = strlen(s), i = 0;

	while (chars-- && i < len) {
		size_t n = json_utf8_seq_len((const unsigned char *)s + i, len - i);

		i += n ? n : 1;
	}
	return i;
}

static unsigned max_depth(const struct node *n, unsigned depth)
{
	unsigned deepest = depth;

	for (size_t i = 0; i < n->nr_children; i++) {
		unsigned d = max_depth(&n->children[i], depth + 1);

		if (d > deepest)
			deepest = d;
	}
	return deepest;
}

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Warm colours from the name, so a function keeps its colour across
 * graphs; kernel frames (suffix _[k]) in orange, the commands in grey. */
static void colour(const char *name, unsigned depth, char *buf, size_t len)
{
	unsigned h = hash(name);
	size_t n = strlen(name);

	if (depth == 1)
		snprintf(buf, len, "rgb(%u,%u,%u)", 160 + h % 40, 160 + h % 40, 170 + h % 40);
	else if (n > 4 && !strcmp(name + n - 4, "_[k]"))
		snprintf(buf, len, "rgb(%u,%u,%u)", 230 + h % 25, 130 + (h >> 8) % 60, 40 + (h >> 16) % 30);
	else
		snprintf(buf, len, "rgb(%u,%u,%u)", 205 + h % 50, 60 + (h >> 8) % 130, 40 + (h >> 16) % 50);
}

struct layout {
	FILE *out;
	double scale;		/* pixels per sample */
	unsigned height;
	uint64_t total;
};

static void draw(const struct layout *l, const struct node *n, double x, unsigned depth)
{
	double w = n->count * l->scale, y = l->height - PAD_BOTTOM - (depth + 1) * FRAME_HEIGHT;
	size_t fit = w > 6 ? (size_t)((w - 6) / CHAR_WIDTH) : 0;
	char fill[32];

	if (w < MIN_WIDTH)
		return;
	colour(n->name, depth, fill, sizeof(fill));
	fprintf(l->out, "<g><title>");
	flame_xml_escape(l->out, n->name);
	fprintf(l->out, " (%llu samples, %.2f%%)</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%d\" fill=\"%s\" rx=\"2\" ry=\"2\"/><text x=\"%.1f\" y=\"%.1f\">",
		(unsigned long long)n->count, 100.0 * n->count / l->total, x, y, w,
		FRAME_HEIGHT - 1, fill, x + 3, y + FRAME_HEIGHT - 4.5);
	if (fit >= 3) {
		size_t all = strlen(n->name), keep = prefix_bytes(n->name, fit);
		char *text = keep < all ? malloc(keep + 3) : strdup(n->name);

		if (text) {
			if (keep < all)	/* cut on a character boundary */
				snprintf(text, keep + 3, "%.*s..", (int)prefix_bytes(n->name, fit - 2),
					 n->name);
			flame_xml_escape(l->out, text);
			free(text);
		}
	}
	fprintf(l->out, "</text></g>\n");
	for (size_t i = 0; i < n->nr_children; i++) {
		draw(l, &n->children[i], x, depth + 1);
		x += n->children[i].count * l->scale;
	}
}

/* Hover shows a frame's title at the bottom; "Search" highlights the frames
 * whose names match a regular expression and says their share. */
static const char script[] =
"<script type=\"text/ecmascript\"><![CDATA[\n"
"var details = document.getElementById('details'), matched = document.getElementById('matched');\n"
"function frames() { return document.querySelectorAll('g > rect'); }\n"
"function title(r) { return r.parentNode.querySelector('title').textContent; }\n"
"document.addEventListener('mouseover', function (e) {\n"
"  var g = e.target.closest && e.target.closest('g');\n"
"  if (g && g.querySelector('title')) details.textContent = 'Function: ' + g.querySelector('title').textContent;\n"
"});\n"
"function search() {\n"
"  var term = prompt('Search frames (regular expression):', '');\n"
"  var rs = frames(), total = 0, hit = 0, re;\n"
"  for (var i = 0; i < rs.length; i++) {\n"
"    if (rs[i].dataset.fill) { rs[i].setAttribute('fill', rs[i].dataset.fill); delete rs[i].dataset.fill; }\n"
"  }\n"
"  matched.textContent = '';\n"
"  if (!term) return;\n"
"  try { re = new RegExp(term); } catch (err) { matched.textContent = 'bad expression'; return; }\n"
"  var spans = [];\n"
"  for (var i = 0; i < rs.length; i++) {\n"
"    var name = title(rs[i]).replace(/ \\([0-9]+ samples.*$/, ''), x = +rs[i].getAttribute('x'), w = +rs[i].getAttribute('width');\n"
"    if (name === 'all') total = w;\n"
"    if (!re.test(name)) continue;\n"
"    rs[i].dataset.fill = rs[i].getAttribute('fill'); rs[i].setAttribute('fill', 'rgb(230,0,230)');\n"
"    spans.push([x, x + w]);\n"
"  }\n"
"  spans.sort(function (a, b) { return a[0] - b[0]; });\n"
"  var end = -1;\n"
"  for (var i = 0; i < spans.length; i++) {\n"
"    if (spans[i][0] >= end) { hit += spans[i][1] - spans[i][0]; end = spans[i][1]; }\n"
"    else if (spans[i][1] > end) { hit += spans[i][1] - end; end = spans[i][1]; }\n"
"  }\n"
"  matched.textContent = 'Matched: ' + (total ? (100 * hit / total).toFixed(1) : 0) + '%';\n"
"}\n"
"]]></script>\n";

int flame_write_svg(const struct flame *f, FILE *out, const char *title)
{
	unsigned depth = max_depth(&f->root, 0);
	struct layout l = {
		.out = out,
		.height = PAD_TOP + (depth + 1) * FRAME_HEIGHT + PAD_BOTTOM,
		.total = f->root.count ? f->root.count : 1,
	};

	l.scale = (WIDTH - 2.0 * PAD_SIDE) / l.total;
	fprintf(out, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%u\" viewBox=\"0 0 %d %u\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n", WIDTH, l.height, WIDTH, l.height);
	fprintf(out, "<style>text { font-family: Verdana, sans-serif; font-size: %dpx; fill: #000; } "
		"g > text { pointer-events: none; } #search { cursor: pointer; }</style>\n", FONT_SIZE);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%u\" fill=\"#f8f8f0\"/>\n",
		WIDTH, l.height);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" style=\"font-size:17px\">",
		WIDTH / 2, FONT_SIZE * 2);
	flame_xml_escape(out, title);
	fprintf(out, "</text>\n<text id=\"search\" x=\"%d\" y=\"%d\" text-anchor=\"end\" "
		"onclick=\"search()\">Search</text>\n", WIDTH - PAD_SIDE, FONT_SIZE * 2);
	fprintf(out, "<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n", PAD_SIDE,
		l.height - PAD_BOTTOM / 2);
	fprintf(out, "<text id=\"matched\" x=\"%d\" y=\"%u\" text-anchor=\"end\"> </text>\n",
		WIDTH - PAD_SIDE, l.height - PAD_BOTTOM / 2);
	draw(&l, &f->root, PAD_SIDE, 0);
	fputs(script, out);
	fputs("</svg>\n", out);
	return ferror(out) ? -1 : 0;
}
