/* Shared by attempt-exec.c (the streamed Exec) and attempt-resume.c
 * (recovering a command whose stream broke, from the wrapper's copies). */
#pragma once

#include <stdio.h>

#include "farm.h"

#define EXEC_CALL_TIMEOUT_MS (120 * 1000)

/* Where the command's output goes. */
struct sink {
        struct farm *f;
        const char *job;
        FILE *out, *err, *all;
        struct farm_attempt *a;
};

/* Writes output to the logs and counts it in the attempt. */
int farm_sink_output(void *u, enum vgl_client_stream stream, const uint8_t *data, size_t len);

/* What a failed call's error says, for deciding what to do next. */
enum farm_failure {
        FAIL_TRANSPORT, /* no error reply: the connection broke */
        FAIL_NO_SANDBOX,
        FAIL_NOT_READY, /* SandboxNotReady: the agent is not connected (a hop) */
        FAIL_AGENT,     /* AgentError: for an Exec, refused or the channel closed */
        FAIL_TRANSFER,  /* TransferFailed: for GetFile, no such file (yet) */
        FAIL_OTHER,
};

struct farm_fail {
        enum farm_failure why;
        char state[48]; /* SandboxNotReady's state */
};

/* Classifies the last failed call on c. */
void farm_fail_of(const struct vgl_client *c, struct farm_fail *ret);

/* Waits for the wrapper's exit file in the guest directory dir (until
 * deadline, farm_mono_s()), then appends the output the stream missed.
 * 0 with a->exit set; -ESRCH when the wrapper never started (the Exec was
 * refused: run it again); other negative errnos. */
int farm_resume(struct farm_worker *w, struct farm_attempt *a, const char *dir, double deadline,
                struct sink *s, struct vgl_error *err);
