/* A small SVG writer: rectangles, lines and text, XML-escaped. */
#include "longweave/svg.h"

#include <stdarg.h>
#include <stdio.h>

static void put(lw_svg *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(lw_svg *s, const char *fmt, ...)
{
    if (s->failed)
        return;
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof small || lw_buf_append(&s->out, small, (size_t)n))
        s->failed = true; /* every caller's format fits: only OOM lands here */
}

static void escaped(lw_svg *s, const char *text)
{
    if (!s->failed && lw_xml_escape(&s->out, text))
        s->failed = true;
}

int lw_xml_escape(lw_buf *b, const char *text)
{
    for (const char *p = text; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default: break;
        }
        if (rep ? lw_buf_puts(b, rep) : lw_buf_putc(b, *p))
            return -1;
    }
    return 0;
}

void lw_svg_begin(lw_svg *s, double width, double height, const char *font_family)
{
    s->out.len = 0;
    s->failed = false;
    put(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
           "viewBox=\"0 0 %g %g\" font-family=\"",
        width, height, width, height);
    escaped(s, font_family ? font_family : "sans-serif");
    put(s, "\">\n");
}

void lw_svg_rect(lw_svg *s, double x, double y, double w, double h, const char *fill,
                 const char *class_name, const char *const *data, const char *title)
{
    put(s, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"", x, y, w, h);
    escaped(s, fill);
    put(s, "\"");
    if (class_name) {
        put(s, " class=\"");
        escaped(s, class_name);
        put(s, "\"");
    }
    for (size_t i = 0; data && data[i] && data[i + 1]; i += 2) {
        put(s, " ");
        escaped(s, data[i]);
        put(s, "=\"");
        escaped(s, data[i + 1]);
        put(s, "\"");
    }
    if (title) {
        put(s, "><title>");
        escaped(s, title);
        put(s, "</title></rect>\n");
    } else {
        put(s, "/>\n");
    }
}

void lw_svg_line(lw_svg *s, double x1, double y1, double x2, double y2, const char *stroke,
                 double width)
{
    put(s, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke-width=\"%g\" stroke=\"", x1, y1,
        x2, y2, width);
    escaped(s, stroke);
    put(s, "\"/>\n");
}

void lw_svg_text(lw_svg *s, double x, double y, const char *anchor, double size,
                 const char *fill, double rotate, const char *weight, const char *text)
{
    put(s, "<text x=\"%g\" y=\"%g\" text-anchor=\"%s\" font-size=\"%g\" fill=\"", x, y, anchor,
        size);
    escaped(s, fill ? fill : "#000");
    put(s, "\"");
    if (weight)
        put(s, " font-weight=\"%s\"", weight);
    if (rotate != 0)
        put(s, " transform=\"rotate(%g %g %g)\"", rotate, x, y);
    put(s, ">");
    escaped(s, text);
    put(s, "</text>\n");
}

int lw_svg_end(lw_svg *s)
{
    put(s, "</svg>\n");
    return s->failed ? -1 : 0;
}

void lw_svg_free(lw_svg *s)
{
    lw_buf_free(&s->out);
}

/* Piecewise linear through red (0), yellow (0.5) and green (1), in the
 * ColorBrewer RdYlGn end colours, which stay readable with black text. */
void lw_svg_score_colour(double v, char out[8])
{
    static const double stops[3][3] = {{215, 48, 39}, {254, 224, 139}, {26, 152, 80}};
    if (!(v > 0))
        v = 0; /* also NaN */
    if (v > 1)
        v = 1;
    int k = v < 0.5 ? 0 : 1;
    double t = v < 0.5 ? v / 0.5 : (v - 0.5) / 0.5;
    int rgb[3];
    for (int c = 0; c < 3; c++)
        rgb[c] = (int)(stops[k][c] + (stops[k + 1][c] - stops[k][c]) * t + 0.5);
    snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}
