/* A booted microVM for tests and benchmarks: embedded libvirt in a fresh
 * state dir, the domain, and its agent channel, with blocking helpers that
 * run the agent API on the event loop thread and wait for the answers. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent-conn.h"
#include "buf.h"
#include "image.h"
#include "virt.h"

struct vm {
        char state_dir[256];
        char console_log[300];
        virConnectPtr conn;
        virDomainPtr dom;
        struct vgl_agent_conn *ac; /* agent mode */
        virStreamPtr raw;          /* raw mode (bare image) */
        bool raw_watching;
        uint64_t t_create_ns;      /* CLOCK_MONOTONIC before virDomainCreateXML */
        uint64_t t_create_done_ns; /* ... after it returned */

        pthread_mutex_t lock;
        pthread_cond_t cond;
        /* everything below is written on the loop thread under lock */
        bool hello;
        uint64_t t_hello_ns; /* first HELLO (agent) or first bytes (raw) */
        struct vgl_hello h;
        uint32_t version;
        int heartbeats;
        struct vgl_heartbeat last_hb;
        int samples;
        struct vgl_resource_sample last_sample;
        int protocol_errors;
        char last_protocol_error[VGL_ERROR_MSG_MAX];
        bool closed;
        uint64_t raw_bytes;
        char raw_head[128]; /* first bytes received in raw mode, NUL-terminated */
};

struct vm_exec_result {
        struct vgl_buf out, err;
        struct vgl_exec_exit exit;
        int64_t pid;
        bool started, done;
        uint64_t t_first_ns, t_done_ns;
};

struct vm_file_result {
        struct vgl_file_result r;
        struct vgl_buf data;
        bool done;
};

uint64_t vm_now_ns(void);

/* Finds or builds the image: $VIGIL_IMAGE_DIR, else runs
 * $VIGIL_SOURCE_ROOT/tools/vigil-image build-microvm --build-dir $VIGIL_BUILD_ROOT --quiet.
 * -ENOENT with a message when neither works. */
int vm_find_image(struct vgl_image *ret, struct vgl_error *err);

/* Creates the state dir, starts the loop thread, opens qemu:///embed. */
int vm_init(struct vm *vm, struct vgl_error *err);

/* Boots a transient domain from kernel/initrd (id names it) and opens the
 * channel, as an agent session (raw false) or a raw byte counter (raw true). */
int vm_boot(struct vm *vm, const char *id, const struct vgl_image *img, const char *initrd,
            bool raw, struct vgl_error *err);

/* The same from a domain spec of the caller's (a disk image's, say); its
 * console_log should be vm->console_log for vm_dump_console. */
struct vgl_domain_spec;
int vm_boot_spec(struct vm *vm, const struct vgl_domain_spec *spec, bool raw,
                 struct vgl_error *err);

/* Closes the channel and destroys the domain (state dir and connection stay). */
void vm_shutdown(struct vm *vm);

/* vm_shutdown, closes the connection, stops the loop, removes the state dir. */
void vm_fini(struct vm *vm);

/* Waits (up to timeout_s) until pred(vm, arg) holds; pred runs under vm->lock. */
bool vm_wait(struct vm *vm, bool (*pred)(struct vm *vm, void *arg), void *arg, int timeout_s);

bool vm_pred_hello(struct vm *vm, void *arg);

/* vm_init, then vm_boot of img's agent initramfs as domain "<prefix>-<pid>",
 * then waits up to timeout_s for the agent's HELLO; prints the console tail
 * on failure. The setup step every agent test shares. */
int vm_start_agent(struct vm *vm, const char *prefix, const struct vgl_image *img, int timeout_s,
                   struct vgl_error *err);

/* Runs argv in the guest and waits for its exit (up to timeout_s). */
int vm_exec(struct vm *vm, char **argv, struct vm_exec_result *res, int timeout_s,
            struct vgl_error *err);
void vm_exec_result_done(struct vm_exec_result *res);

/* PUT a buffer to path / GET path into res->data, waiting for the result. */
int vm_put(struct vm *vm, const char *path, const void *data, size_t len,
           struct vm_file_result *res, int timeout_s, struct vgl_error *err);
int vm_get(struct vm *vm, const char *path, uint64_t max_size, struct vm_file_result *res,
           int timeout_s, struct vgl_error *err);

/* Prints the last lines of the console log to stderr (for failures). */
void vm_dump_console(struct vm *vm);

/* Opens the agent channel of an already running vm->dom with the harness's
 * callbacks (on the event loop thread), for VMs booted or moved by other
 * code; vm_close_agent closes it again. */
int vm_open_agent(struct vm *vm, struct vgl_error *err);
void vm_close_agent(struct vm *vm);
