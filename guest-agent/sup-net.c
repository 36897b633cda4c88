/* Supervised network calls: connect, bind, sendto, sendmsg, sendmmsg.
 *
 * The address is read from the workload and checked against the egress
 * list; an allowed call continues (the kernel reads the address again: see
 * docs/security.md). IPv4-mapped IPv6 addresses are checked as IPv4. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "procmem.h"
#include "sup-priv.h"

#define MMSG_CHECK_MAX 16 /* sendmmsg: entries checked; larger batches are refused */

struct endpoint {
        uint16_t family; /* AF_* as the workload gave it */
        int fam;         /* 4, 6, or 0 (not an IP address) */
        uint8_t addr[16];
        uint16_t port;
};

static int read_endpoint(struct vgl_notif *n, uint64_t addr, uint64_t len, struct endpoint *ep)
{
        struct sockaddr_storage ss = {0};
        if (len < sizeof(sa_family_t) || len > sizeof(ss))
                return -EINVAL;
        if (vgl_pm_read(vgl_notif_mem(n), addr, &ss, len) < 0)
                return -EFAULT;
        *ep = (struct endpoint){.family = ss.ss_family};
        if (ss.ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
                const struct sockaddr_in *in = (const void *)&ss;
                ep->fam = 4;
                memcpy(ep->addr, &in->sin_addr, 4);
                ep->port = ntohs(in->sin_port);
        } else if (ss.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
                const struct sockaddr_in6 *in6 = (const void *)&ss;
                ep->port = ntohs(in6->sin6_port);
                if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
                        ep->fam = 4;
                        memcpy(ep->addr, in6->sin6_addr.s6_addr + 12, 4);
                } else {
                        ep->fam = 6;
                        memcpy(ep->addr, in6->sin6_addr.s6_addr, 16);
                }
        } else if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
                return -EINVAL;
        }
        return 0;
}

static void net_event(struct vgl_notif *n, uint8_t op, const struct endpoint *ep)
{
        struct vgl_ev_net e = {.h = vgl_events_head(n->c->id, (uint32_t)n->pid),
                               .family = ep->family,
                               .port = ep->port,
                               .op = op,
                               .verdict = n->verdict,
                               .err = (uint16_t)n->err};
        uint8_t rec[VGL_EV_NET_SIZE];
        memcpy(e.addr, ep->addr, sizeof(e.addr));
        vgl_ev_net_encode(&e, rec);
        vgl_events_add(n->a, VGL_REC_NET, rec);
}

/* Decides one address: non-IP families (unix, netlink) are local and allowed. */
static void check(struct vgl_notif *n, uint8_t op, uint64_t addr, uint64_t len, int deny_err)
{
        struct endpoint ep = {0};
        if (read_endpoint(n, addr, len, &ep) < 0) {
                vgl_notif_decide(n, false, EINVAL);
        } else if (op == VGL_NET_BIND || ep.fam == 0) {
                vgl_notif_decide(n, true, 0);
        } else {
                vgl_notif_decide(n, vgl_policy_egress_allowed(n->pol, ep.fam, ep.addr, ep.port),
                                 deny_err);
        }
        net_event(n, op, &ep);
}

/* msghdr.msg_name / msg_namelen at addr; no name: the connected peer. */
static void check_msghdr(struct vgl_notif *n, uint64_t addr)
{
        struct msghdr m;
        if (vgl_pm_read(vgl_notif_mem(n), addr, &m, sizeof(m)) < 0) {
                vgl_notif_decide(n, false, EFAULT);
                return;
        }
        if (!m.msg_name)
                vgl_notif_decide(n, true, 0);
        else
                check(n, VGL_NET_SENDMSG, (uint64_t)(uintptr_t)m.msg_name, m.msg_namelen, EACCES);
}

static void check_mmsg(struct vgl_notif *n, uint64_t vec, uint64_t vlen)
{
        if (vlen > MMSG_CHECK_MAX) {
                vgl_notif_decide(n, false, EMSGSIZE);
                return;
        }
        vgl_notif_decide(n, true, 0);
        for (uint64_t i = 0; i < vlen && n->cont; i++)
                check_msghdr(n, vec + i * sizeof(struct mmsghdr));
}

bool vgl_sup_net(struct vgl_notif *n)
{
        switch (n->req->data.nr) {
        case SYS_connect:
                check(n, VGL_NET_CONNECT, vgl_arg(n, 1), vgl_arg(n, 2), ECONNREFUSED);
                return true;
        case SYS_bind:
                check(n, VGL_NET_BIND, vgl_arg(n, 1), vgl_arg(n, 2), EACCES);
                return true;
        case SYS_sendto:
                if (!vgl_arg(n, 4)) {
                        vgl_notif_decide(n, true, 0);
                        n->verdict = VGL_VERDICT_OBSERVE;
                } else {
                        check(n, VGL_NET_SENDTO, vgl_arg(n, 4), vgl_arg(n, 5), EACCES);
                }
                return true;
        case SYS_sendmsg:
                check_msghdr(n, vgl_arg(n, 1));
                return true;
        case SYS_sendmmsg:
                check_mmsg(n, vgl_arg(n, 1), vgl_arg(n, 2));
                return true;
        default:
                return false;
        }
}
