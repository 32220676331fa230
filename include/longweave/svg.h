/* A small SVG writer: enough for charts (rectangles, lines, text with
 * tooltips) in a standalone file any browser opens. Text is XML-escaped;
 * out-of-memory is sticky and reported once by lw_svg_end(). */
#ifndef LONGWEAVE_SVG_H
#define LONGWEAVE_SVG_H

#include <stdbool.h>

#include "longweave/buf.h"

typedef struct {
    lw_buf out;
    bool failed; /* an append ran out of memory */
} lw_svg;

/* The XML declaration and the <svg> root of width x height user units,
 * with a default font. */
void lw_svg_begin(lw_svg *s, double width, double height, const char *font_family);
/* A rectangle. class_name may be NULL; data holds extra attributes as
 * name/value pairs (values escaped), NULL-terminated, or NULL; title, when
 * not NULL, becomes the hover tooltip. */
void lw_svg_rect(lw_svg *s, double x, double y, double w, double h, const char *fill,
                 const char *class_name, const char *const *data, const char *title);
void lw_svg_line(lw_svg *s, double x1, double y1, double x2, double y2, const char *stroke,
                 double width);
/* Text at (x, y); anchor is "start", "middle" or "end"; rotate in degrees
 * about (x, y) (0: none); weight "bold" or NULL. */
void lw_svg_text(lw_svg *s, double x, double y, const char *anchor, double size,
                 const char *fill, double rotate, const char *weight, const char *text);
/* Close the root. Returns 0, or -1 if any append ran out of memory. */
int lw_svg_end(lw_svg *s);
void lw_svg_free(lw_svg *s);

/* Append text with & < > " ' escaped. */
int lw_xml_escape(lw_buf *b, const char *text);

/* The colour of a score in [0, 1] on a red - yellow - green scale, as
 * "#rrggbb" (8 bytes with the NUL). Values outside are clamped. */
void lw_svg_score_colour(double v, char out[8]);

#endif
