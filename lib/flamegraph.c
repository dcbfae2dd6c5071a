// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "flamegraph.h"
#include "json.h"
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
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
#define MAX_DEPTH 4096		/* frames of a stack walked for folded lines */

struct node {
	char *name;
	uint64_t count;		/* samples in this frame and above it */
	uint64_t self;		/* samples that end here */
	uint64_t before;	/* a differential graph's BEFORE samples in and above it */
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

int flame_add_side(struct flame *f, const char *frames, uint64_t count, enum flame_side side)
{
	struct node *n = &f->root;
	uint64_t *counted = side == FLAME_BEFORE ? &n->before : &n->count;

	*counted += count;
	while (*frames) {
		size_t len = strcspn(frames, ";");

		if (len) {
			n = child(n, frames, len);
			if (!n)
				return -1;
			*(side == FLAME_BEFORE ? &n->before : &n->count) += count;
		}
		frames += len + (frames[len] == ';');
	}
	if (side == FLAME_AFTER)
		n->self += count;
	return 0;
}

int flame_add(struct flame *f, const char *frames, uint64_t count)
{
	return flame_add_side(f, frames, count, FLAME_AFTER);
}

/* "frames count": the count after the last space. */
static int add_folded_line(struct flame *f, char *line, enum flame_side side)
{
	char *space, *end;
	uint64_t count;

	line[strcspn(line, "\r\n")] = 0;
	if (!line[0])
		return 0;
	space = strrchr(line, ' ');
	if (!space || space == line)
		return -EINVAL;
	errno = 0;
	count = strtoull(space + 1, &end, 10);
	if (errno || *end || end == space + 1 || space[1] == '-')
		return -EINVAL;
	*space = 0;
	return flame_add_side(f, line, count, side) ? -ENOMEM : 0;
}

int flame_read_folded(struct flame *f, const char *path, enum flame_side side)
{
	FILE *in = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, nr = 0;
	int err = 0;

	if (!in)
		return report_error("cannot read %s: %s", path, strerror(errno)), -1;
	while (!err && getline(&line, &cap, in) > 0) {
		nr++;
		err = add_folded_line(f, line, side);
	}
	if (!err && ferror(in))
		report_error("cannot read %s: %s", path, strerror(errno)), err = -EIO;
	else if (err == -EINVAL)
		report_error("%s:%zu: not a folded stack (\"frame;frame;... COUNT\")", path, nr);
	else if (err == -ENOMEM)
		report_error("out of memory");
	free(line);
	fclose(in);
	return err ? -1 : 0;
}

uint64_t flame_total(const struct flame *f)
{
	return f->root.count;
}

/* Frames from the root's child to n, in path[1..depth]. */
static int each_stack(const struct node *n, const char **path, unsigned depth,
		      flame_visit visit, void *ctx)
{
	int ret = 0;

	if (depth >= MAX_DEPTH)
		return 0;
	path[depth] = n->name;
	if (n->self)
		ret = visit(path + 1, depth, n->self, ctx);
	for (size_t i = 0; i < n->nr_children && !ret; i++)
		ret = each_stack(&n->children[i], path, depth + 1, visit, ctx);
	return ret;
}

int flame_each_stack(const struct flame *f, flame_visit visit, void *ctx)
{
	const char **path = calloc(MAX_DEPTH, sizeof(*path));
	int ret;

	if (!path)
		return -1;
	ret = each_stack(&f->root, path, 0, visit, ctx);
	free(path);
	return ret;
}

static int folded_line(const char *const *frames, unsigned depth, uint64_t count, void *out)
{
	for (unsigned i = 0; i < depth; i++)
		fprintf(out, "%s%s", i ? ";" : "", frames[i]);
	fprintf(out, " %" PRIu64 "\n", count);
	return 0;
}

int flame_write_folded(const struct flame *f, FILE *out)
{
	if (flame_each_stack(f, folded_line, out))
		return -1;
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
	uint64_t total, before_total;
	bool diff;
	double max_change;	/* the largest change of share, for the colour scale */
};

/* How a frame's share of all samples changed from BEFORE to AFTER. */
static double change(const struct layout *l, const struct node *n)
{
	return (double)n->count / l->total - (double)n->before / l->before_total;
}

static double max_change(const struct layout *l, const struct node *n)
{
	double most = n->count ? fabs(change(l, n)) : 0;

	for (size_t i = 0; i < n->nr_children; i++) {
		double m = max_change(l, &n->children[i]);

		if (m > most)
			most = m;
	}
	return most;
}

/* Red as a frame's share grew, blue as it shrank, white unchanged. */
static void diff_colour(const struct layout *l, const struct node *n, char *buf, size_t len)
{
	double d = change(l, n), t = l->max_change > 0 ? fabs(d) / l->max_change : 0;
	unsigned pale = 255 - (unsigned)(t * 210 + 0.5);

	if (d > 0)
		snprintf(buf, len, "rgb(255,%u,%u)", pale, pale);
	else
		snprintf(buf, len, "rgb(%u,%u,255)", pale, pale);
}

static void title(const struct layout *l, const struct node *n)
{
	flame_xml_escape(l->out, n->name);
	if (!l->diff) {
		fprintf(l->out, " (%" PRIu64 " samples, %.2f%%)", n->count, 100.0 * n->count / l->total);
		return;
	}
	fprintf(l->out, " (%" PRIu64 " samples, %.2f%%; before %" PRIu64 " samples, %.2f%%; %+.2f points)",
		n->count, 100.0 * n->count / l->total, n->before, 100.0 * n->before / l->before_total,
		100.0 * change(l, n));
}

/* The name as it fits in 'w' pixels: cut on a character boundary with
 * "..", or nothing when not even 3 characters fit. */
static void label(FILE *out, const char *name, double w)
{
	size_t fit = w > 6 ? (size_t)((w - 6) / CHAR_WIDTH) : 0, all, keep;
	char *text;

	if (fit < 3)
		return;
	all = strlen(name);
	keep = prefix_bytes(name, fit);
	text = keep < all ? malloc(keep + 3) : strdup(name);
	if (!text)
		return;
	if (keep < all)
		snprintf(text, keep + 3, "%.*s..", (int)prefix_bytes(name, fit - 2), name);
	flame_xml_escape(out, text);
	free(text);
}

static void draw(const struct layout *l, const struct node *n, double x, unsigned depth)
{
	double w = n->count * l->scale, y = l->height - PAD_BOTTOM - (depth + 1) * FRAME_HEIGHT;
	char fill[32];

	if (w < MIN_WIDTH)
		return;
	if (l->diff)
		diff_colour(l, n, fill, sizeof(fill));
	else
		colour(n->name, depth, fill, sizeof(fill));
	fprintf(l->out, "<g class=\"f\"><title>");
	title(l, n);
	fprintf(l->out, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\" "
		"rx=\"2\" ry=\"2\"/><text x=\"%.1f\" y=\"%.1f\">", x, y, w, FRAME_HEIGHT - 1, fill,
		x + 3, y + FRAME_HEIGHT - 4.5);
	label(l->out, n->name, w);
	fprintf(l->out, "</text></g>\n");
	for (size_t i = 0; i < n->nr_children; i++) {
		draw(l, &n->children[i], x, depth + 1);
		x += n->children[i].count * l->scale;
	}
}

/* Hover shows a frame's title at the bottom; a click zooms into a frame
 * (its ancestors span the width, paled; what is not in it hidden), "Reset
 * zoom" goes back, and #zoom=NAME in the URL opens zoomed into the widest
 * frame of that name. "Search" highlights the frames whose names match a
 * regular expression and says their share. */
static const char script_head[] =
"<script type=\"text/ecmascript\"><![CDATA[\n";

static const char script[] =
"var details = document.getElementById('details'), matched = document.getElementById('matched');\n"
"var reset = document.getElementById('reset'), frames = [];\n"
"function fit(f, x, w) {\n"
"  f.r.setAttribute('x', x.toFixed(1)); f.r.setAttribute('width', w.toFixed(1));\n"
"  f.t.setAttribute('x', (x + 3).toFixed(1));\n"
"  var n = Math.floor((w - 6) / CHAR_WIDTH);\n"
"  f.t.textContent = n < 3 ? '' : f.name.length <= n ? f.name : f.name.slice(0, n - 2) + '..';\n"
"}\n"
"function zoom(z) {\n"
"  var scale = (WIDTH - 2 * PAD) / z.w, e = 1e-6;\n"
"  frames.forEach(function (f) {\n"
"    var inside = f.x >= z.x - e && f.x + f.w <= z.x + z.w + e;\n"
"    var around = f.x <= z.x + e && f.x + f.w >= z.x + z.w - e;\n"
"    f.g.style.display = '';\n"
"    f.g.style.opacity = '';\n"
"    if (f.y > z.y && around) { f.g.style.opacity = 0.5; fit(f, PAD, WIDTH - 2 * PAD); }\n"
"    else if (f.y <= z.y && inside) fit(f, PAD + (f.x - z.x) * scale, f.w * scale);\n"
"    else f.g.style.display = 'none';\n"
"  });\n"
"  reset.style.display = '';\n"
"}\n"
"function unzoom() {\n"
"  frames.forEach(function (f) { f.g.style.display = ''; f.g.style.opacity = ''; fit(f, f.x, f.w); });\n"
"  reset.style.display = 'none';\n"
"}\n"
"document.querySelectorAll('g.f').forEach(function (g) {\n"
"  var r = g.querySelector('rect'), title = g.querySelector('title').textContent;\n"
"  var f = { g: g, r: r, t: g.querySelector('text'), x: +r.getAttribute('x'),\n"
"            w: +r.getAttribute('width'), y: +r.getAttribute('y'),\n"
"            name: title.slice(0, title.lastIndexOf(' (')), title: title };\n"
"  frames.push(f);\n"
"  g.addEventListener('click', function () { zoom(f); });\n"
"  g.addEventListener('mouseover', function () { details.textContent = 'Function: ' + f.title; });\n"
"});\n"
"(function () {\n"
"  var m = /[#&]zoom=([^&]*)/.exec(location.hash), best = null;\n"
"  if (!m) return;\n"
"  var want = decodeURIComponent(m[1]);\n"
"  frames.forEach(function (f) { if (f.name === want && (!best || f.w > best.w)) best = f; });\n"
"  if (best) zoom(best);\n"
"})();\n"
"function search() {\n"
"  var term = prompt('Search frames (regular expression):', ''), total = 0, hit = 0, re, spans = [];\n"
"  frames.forEach(function (f) {\n"
"    if (f.fill) { f.r.setAttribute('fill', f.fill); delete f.fill; }\n"
"  });\n"
"  matched.textContent = '';\n"
"  if (!term) return;\n"
"  try { re = new RegExp(term); } catch (err) { matched.textContent = 'bad expression'; return; }\n"
"  frames.forEach(function (f) {\n"
"    if (f.name === 'all') total = f.w;\n"
"    if (!re.test(f.name)) return;\n"
"    f.fill = f.r.getAttribute('fill'); f.r.setAttribute('fill', 'rgb(230,0,230)');\n"
"    spans.push([f.x, f.x + f.w]);\n"
"  });\n"
"  spans.sort(function (a, b) { return a[0] - b[0]; });\n"
"  var end = -1;\n"
"  for (var i = 0; i < spans.length; i++) {\n"
"    if (spans[i][0] >= end) { hit += spans[i][1] - spans[i][0]; end = spans[i][1]; }\n"
"    else if (spans[i][1] > end) { hit += spans[i][1] - end; end = spans[i][1]; }\n"
"  }\n"
"  matched.textContent = 'Matched: ' + (total ? (100 * hit / total).toFixed(1) : 0) + '%';\n"
"}\n"
"]]></script>\n";

static void header(const struct layout *l, const char *title_text)
{
	FILE *out = l->out;

	fprintf(out, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%u\" viewBox=\"0 0 %d %u\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n", WIDTH, l->height, WIDTH, l->height);
	fprintf(out, "<style>text { font-family: Verdana, sans-serif; font-size: %dpx; fill: #000; } "
		"g > text { pointer-events: none; } g.f, #search, #reset { cursor: pointer; }</style>\n",
		FONT_SIZE);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%u\" fill=\"#f8f8f0\"/>\n",
		WIDTH, l->height);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" style=\"font-size:17px\">",
		WIDTH / 2, FONT_SIZE * 2);
	flame_xml_escape(out, title_text);
	fprintf(out, "</text>\n<text id=\"reset\" x=\"%d\" y=\"%d\" onclick=\"unzoom()\" "
		"style=\"display:none\">Reset zoom</text>\n", PAD_SIDE, FONT_SIZE * 2);
	fprintf(out, "<text id=\"search\" x=\"%d\" y=\"%d\" text-anchor=\"end\" "
		"onclick=\"search()\">Search</text>\n", WIDTH - PAD_SIDE, FONT_SIZE * 2);
	fprintf(out, "<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n", PAD_SIDE,
		l->height - PAD_BOTTOM / 2);
	fprintf(out, "<text id=\"matched\" x=\"%d\" y=\"%u\" text-anchor=\"end\"> </text>\n",
		WIDTH - PAD_SIDE, l->height - PAD_BOTTOM / 2);
}

int flame_write_svg(const struct flame *f, FILE *out, const char *title_text)
{
	unsigned depth = max_depth(&f->root, 0);
	struct layout l = {
		.out = out,
		.height = PAD_TOP + (depth + 1) * FRAME_HEIGHT + PAD_BOTTOM,
		.total = f->root.count ? f->root.count : 1,
		.before_total = f->root.before ? f->root.before : 1,
		.diff = f->root.before > 0,
	};

	l.scale = (WIDTH - 2.0 * PAD_SIDE) / l.total;
	if (l.diff)
		l.max_change = max_change(&l, &f->root);
	header(&l, title_text);
	draw(&l, &f->root, PAD_SIDE, 0);
	/* The script's constants are the layout's. */
	fputs(script_head, out);
	fprintf(out, "var WIDTH = %d, PAD = %d, CHAR_WIDTH = %g;\n", WIDTH, PAD_SIDE, CHAR_WIDTH);
	fputs(script, out);
	fputs("</svg>\n", out);
	return ferror(out) ? -1 : 0;
}
