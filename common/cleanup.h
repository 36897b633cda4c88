/* Ownership helpers: cleanup attributes and explicit moves.
 *
 * Every resource-holding local is declared with one of the _cleanup_*_
 * attributes and initialised; ownership leaves a scope only through
 * TAKE_PTR()/TAKE_FD(), so the cleanup then sees NULL / -1 and does nothing. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
        free(*(void **)p);
}

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

#define _cleanup_free_   _cleanup_(freep)
#define _cleanup_close_  _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Declares void NAMEp(TYPE **) calling FUNC on a non-NULL pointer. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
        static inline void func##p(type *p)                                                        \
        {                                                                                          \
                if (*p)                                                                            \
                        func(*p);                                                                  \
        }

#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _took = (p);                                                         \
                (p) = NULL;                                                                        \
                _took;                                                                             \
        })

#define TAKE_FD(fd)                                                                                \
        ({                                                                                         \
                int _took = (fd);                                                                  \
                (fd) = -1;                                                                         \
                _took;                                                                             \
        })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* Closes fd if valid and returns -1, for "fd = safe_close(fd)". */
static inline int safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return -1;
}
