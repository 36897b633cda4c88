/* Helpers of the vigild smoke test: the image, the daemon process, calls. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "varlink-client.h"

struct daemon_proc {
        char dir[128]; /* temp dir: state/, sock, vigild.log */
        char sock[192];
        char image[4096];
        pid_t pid;
};

uint64_t now_ms(void);

/* VIGIL_IMAGE_DIR, else tools/vigil-image build-microvm; false if neither works. */
bool find_image(char *dir, size_t size);

/* Starts vigild with extra arguments (NULL-terminated) and waits until its
 * socket answers (up to timeout_s). */
bool daemon_start(struct daemon_proc *p, const char *const *extra, int timeout_s);

/* SIGTERM and wait (up to timeout_s); returns the exit status, -1 on timeout. */
int daemon_stop(struct daemon_proc *p, int timeout_s);

/* Kills vigild and every QEMU under the state dir, removes the dir. */
void daemon_cleanup(struct daemon_proc *p);

/* QEMU processes alive under the state dir. */
int count_vms(struct daemon_proc *p);

/* One call on a new connection; *ret_params (owned) on success. Returns the
 * error name (static buffer) or NULL. timeout in ms. */
const char *call(struct daemon_proc *p, const char *method, struct json_object *params,
                 struct json_object **ret_params, int timeout_ms);
