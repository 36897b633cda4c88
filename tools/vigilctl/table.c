/* virsh-like tables: a header, a rule of dashes, left-aligned columns. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vigilctl.h"

#define COLUMN_GAP 3

int vgl_ctl_table_init(struct vgl_ctl_table *t, const char *const *headers, size_t ncols)
{
        *t = (struct vgl_ctl_table){.ncols = ncols};
        return vgl_ctl_table_add(t, headers);
}

int vgl_ctl_table_add(struct vgl_ctl_table *t, const char *const *cells)
{
        if (t->nrows == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 8;
                char **p = reallocarray(t->cells, cap * t->ncols, sizeof(*p));

                if (!p)
                        return -ENOMEM;
                t->cells = p;
                t->cap = cap;
        }
        for (size_t i = 0; i < t->ncols; i++) {
                t->cells[t->nrows * t->ncols + i] = strdup(cells[i] ? cells[i] : "");
                if (!t->cells[t->nrows * t->ncols + i]) {
                        while (i-- > 0)
                                free(t->cells[t->nrows * t->ncols + i]);
                        return -ENOMEM;
                }
        }
        t->nrows++;
        return 0;
}

static size_t column_width(const struct vgl_ctl_table *t, size_t col)
{
        size_t w = 0;

        for (size_t r = 0; r < t->nrows; r++) {
                size_t len = strlen(t->cells[r * t->ncols + col]);
                w = len > w ? len : w;
        }
        return w;
}

static void print_row(const struct vgl_ctl_table *t, size_t row, const size_t *widths, FILE *f)
{
        fputc(' ', f);
        for (size_t i = 0; i < t->ncols; i++) {
                const char *cell = t->cells[row * t->ncols + i];

                if (i + 1 < t->ncols)
                        fprintf(f, "%-*s%*s", (int)widths[i], cell, COLUMN_GAP, "");
                else
                        fputs(cell, f);
        }
        fputc('\n', f);
}

void vgl_ctl_table_print(const struct vgl_ctl_table *t, FILE *f)
{
        size_t widths[32] = {0}, total = 1;

        if (t->ncols > 32 || t->nrows == 0)
                return;
        for (size_t i = 0; i < t->ncols; i++) {
                widths[i] = column_width(t, i);
                total += widths[i] + (i + 1 < t->ncols ? COLUMN_GAP : 1);
        }
        print_row(t, 0, widths, f);
        for (size_t i = 0; i < total; i++)
                fputc('-', f);
        fputc('\n', f);
        for (size_t r = 1; r < t->nrows; r++)
                print_row(t, r, widths, f);
}

void vgl_ctl_table_done(struct vgl_ctl_table *t)
{
        for (size_t i = 0; i < t->nrows * t->ncols; i++)
                free(t->cells[i]);
        free(t->cells);
        *t = (struct vgl_ctl_table){0};
}
