/* libvirt's default event loop: registration, a loop thread for tests and
 * tools, and synchronous calls onto that thread. */
#include "virt.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

static pthread_once_t register_once = PTHREAD_ONCE_INIT;
static int register_result;

static pthread_t loop_thread;
static bool loop_running;
static atomic_bool loop_quit;

static void do_register(void)
{
        register_result = virEventRegisterDefaultImpl();
}

int vgl_virt_event_register(struct vgl_error *err)
{
        pthread_once(&register_once, do_register);
        if (register_result < 0)
                return vgl_virt_error(err, "registering the libvirt event loop");
        return 0;
}

int vgl_virt_event_run_once(struct vgl_error *err)
{
        if (virEventRunDefaultImpl() < 0)
                return vgl_virt_error(err, "running the libvirt event loop");
        return 0;
}

static void *loop_main(void *arg)
{
        while (!atomic_load(&loop_quit))
                if (virEventRunDefaultImpl() < 0)
                        break;
        return NULL;
}

int vgl_virt_loop_start(struct vgl_error *err)
{
        int r;

        if (loop_running)
                return 0;
        r = vgl_virt_event_register(err);
        if (r < 0)
                return r;
        atomic_store(&loop_quit, false);
        r = pthread_create(&loop_thread, NULL, loop_main, NULL);
        if (r != 0)
                return vgl_error_set(err, r, "starting the event loop thread");
        loop_running = true;
        return 0;
}

struct loop_call {
        int (*fn)(void *userdata);
        void *userdata;
        int result;
        bool done;
        pthread_mutex_t lock;
        pthread_cond_t cond;
};

static void loop_call_fire(int timer, void *opaque)
{
        struct loop_call *c = opaque;

        virEventRemoveTimeout(timer);
        pthread_mutex_lock(&c->lock);
        if (!c->done) {
                c->result = c->fn ? c->fn(c->userdata) : 0;
                c->done = true;
                pthread_cond_broadcast(&c->cond);
        }
        pthread_mutex_unlock(&c->lock);
}

int vgl_virt_loop_call(int (*fn)(void *userdata), void *userdata)
{
        struct loop_call c = {
                .fn = fn,
                .userdata = userdata,
                .lock = PTHREAD_MUTEX_INITIALIZER,
                .cond = PTHREAD_COND_INITIALIZER,
        };

        if (!loop_running || pthread_equal(pthread_self(), loop_thread))
                return fn ? fn(userdata) : 0;
        if (virEventAddTimeout(0, loop_call_fire, &c, NULL) < 0)
                return -EIO;
        pthread_mutex_lock(&c.lock);
        while (!c.done)
                pthread_cond_wait(&c.cond, &c.lock);
        pthread_mutex_unlock(&c.lock);
        return c.result;
}

static void wake_fire(int timer, void *opaque)
{
        virEventRemoveTimeout(timer);
}

void vgl_virt_loop_stop(void)
{
        if (!loop_running)
                return;
        atomic_store(&loop_quit, true);
        /* Wake the loop so it sees the flag. Not a loop_call: the iteration
         * may end and the thread exit before dispatching a new timer. */
        virEventAddTimeout(0, wake_fire, NULL, NULL);
        pthread_join(loop_thread, NULL);
        loop_running = false;
}

struct loop_run {
        void (*fn)(void *userdata);
        void *userdata;
};

static int loop_run_trampoline(void *userdata)
{
        struct loop_run *r = userdata;

        r->fn(r->userdata);
        return 0;
}

int vgl_virt_loop_run(void (*fn)(void *userdata), void *userdata)
{
        struct loop_run r = {.fn = fn, .userdata = userdata};

        return vgl_virt_loop_call(loop_run_trampoline, &r);
}
