/* Internals of the image catalog shared by its files (and its tests). */
#pragma once

#include <stddef.h>

#include "image.h"

struct vgl_catalog {
        struct vgl_catalog_image *images; /* n entries, in file order */
        size_t n;
};
