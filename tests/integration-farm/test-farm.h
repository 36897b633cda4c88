/* The vigil-farm integration test: vigild from the daemon tests' harness
 * (tests/integration-daemon/vigild-harness.h) with a short-round adjust
 * policy, and the built vigil-farm run against it as a child process. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vigild-harness.h"

#define FARM_GUARD_S 1800 /* guard on a whole farm run (TCG on a busy host) */

extern struct vd vd;
extern char work[256]; /* the test's own temporary directory */

/* $VIGIL_BUILD_ROOT/tools/vigil-farm/vigil-farm. */
const char *farm_path(void);

/* Starts vigil-farm -c SOCK ARGS... with its stdout on a pipe (*ret_fd)
 * and stderr shared with the test. */
int farm_spawn(const char *const *args, pid_t *ret_pid, int *ret_fd);

/* Reads fd (echoing it to stderr as "# farm: ...") until count lines
 * containing needle have gone by; false after timeout_s or at EOF. */
bool farm_wait_lines(int fd, const char *needle, int count, int timeout_s);

/* Reads the rest of fd (echoed) and reaps pid; its exit status, 128+N
 * for a signal, or -1 when it had to be killed after timeout_s. */
int farm_finish(pid_t pid, int fd, int timeout_s);

/* Writes text to work/name. */
void farm_write(const char *name, const char *text);

/* Sandboxes vigild lists (as root: all) carrying label vigil.farm/run=run,
 * and reserved ones of any run; *ret_reserved may be NULL. */
int farm_leftovers(const char *run, int *ret_reserved);
