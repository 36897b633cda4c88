/* The table of live exec and transfer streams of an agent session. */
#include "agent-priv.h"

#include <errno.h>
#include <stdlib.h>

#include "cleanup.h"

static bool id_in_use(struct vgl_agent *a, uint32_t id)
{
        return vgl_agent_stream_find(a, id) != NULL;
}

int vgl_agent_stream_new(struct vgl_agent *a, enum vgl_stream_kind kind,
                         struct vgl_agent_stream **ret)
{
        struct vgl_agent_stream *s;
        size_t slot = VGL_AGENT_MAX_STREAMS;

        for (size_t i = 0; i < VGL_AGENT_MAX_STREAMS; i++)
                if (!a->streams[i]) {
                        slot = i;
                        break;
                }
        if (slot == VGL_AGENT_MAX_STREAMS)
                return -EBUSY;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        /* Ids are never 0 (the connection's stream) and never reused while live. */
        do {
                s->id = a->next_id++;
        } while (s->id == 0 || id_in_use(a, s->id));
        s->kind = kind;
        s->fd = -1;
        vgl_buf_init(&s->data, 0);
        a->streams[slot] = s;
        *ret = s;
        return 0;
}

struct vgl_agent_stream *vgl_agent_stream_find(struct vgl_agent *a, uint32_t id)
{
        if (id == 0)
                return NULL;
        for (size_t i = 0; i < VGL_AGENT_MAX_STREAMS; i++)
                if (a->streams[i] && a->streams[i]->id == id)
                        return a->streams[i];
        return NULL;
}

void vgl_agent_stream_drop(struct vgl_agent *a, struct vgl_agent_stream *s)
{
        for (size_t i = 0; i < VGL_AGENT_MAX_STREAMS; i++)
                if (a->streams[i] == s)
                        a->streams[i] = NULL;
        safe_close(s->fd);
        vgl_buf_free(&s->data);
        free(s);
}
